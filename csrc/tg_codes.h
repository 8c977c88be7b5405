/*
 * tg_codes.h -- the codes that name TensorGen's activations, losses and optimizers, and
 * their constants: defined here once. The C kernels switch on them; Python reads them
 * through Cython (tensorgen/_kernels/_codes.pxd declares these enums `cpdef`, so they
 * reach Python as IntEnums, and tensorgen/functions.py takes the names from there).
 */
#ifndef TG_CODES_H
#define TG_CODES_H

/* Python name = the C name without its prefix, in lower case (TG_LEAKY_RELU: "leaky_relu") */
enum tg_activation {
    TG_IDENTITY = 0,
    TG_SIGMOID = 1,
    TG_TANH = 2,
    TG_RELU = 3,
    TG_LEAKY_RELU = 4,
    TG_SOFTMAX = 5 /* output layer only: it couples the row */
};

enum tg_loss { TG_MSE = 0, TG_BCE = 1, TG_CROSS_ENTROPY = 2 };

/* the update rules of the optimizer kernel (SGD covers momentum and Nesterov) */
enum tg_optimizer { TG_OPT_SGD = 0, TG_OPT_ADAM = 1 };

/* slope of leaky_relu for z <= 0 */
#define TG_LEAKY_SLOPE 0.01

#endif /* TG_CODES_H */
