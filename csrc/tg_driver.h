/*
 * tg_driver.h -- the sample loop of the symbolic engine.
 *
 * Design: SymPy generates tg_sample(), the loss of ONE sample and its gradient, as straight
 * C (see tensorgen/_codegen/emit.py); tg_batch() is the hand-written part that loops it
 * over a batch and averages. Both are compiled into one shared library per architecture
 * and called through ctypes, so no Python runs per sample.
 */
#ifndef TG_DRIVER_H
#define TG_DRIVER_H

#include <stddef.h>

/* Generated: adds the loss of the sample x (n_in), y (n_out) to *loss and its gradient to
 * grad (n_params). */
void tg_sample(const double *params, const double *x, const double *y, double *loss,
               double *grad);

/*
 * Mean loss over the n >= 1 samples of X (n x n_in) and Y (n x n_out), row-major, and its
 * gradient in grad (OUT, n_params).
 */
double tg_batch(ptrdiff_t n_params, ptrdiff_t n_in, ptrdiff_t n_out, const double *params,
                const double *X, const double *Y, ptrdiff_t n, double *grad);

#endif /* TG_DRIVER_H */
