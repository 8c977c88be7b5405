/*
 * xor_baseline.c -- the plain C reference for TensorGen's compiled training loop.
 *
 * The arithmetic of tensorgen's fit(engine="reverse", optimizer="sgd") on XOR, written the
 * way a C programmer would for this one network: a 2-2-1 sigmoid network with its sizes
 * fixed at compile time, mean squared error, full-batch gradient descent, the cost of every
 * epoch kept (as History.cost is). The activation, its derivative and the loss come from
 * csrc/tg_math.h, the definitions the Cython kernels use, and the operations run in the
 * kernels' order, so both programs compute the same numbers in double precision.
 *
 * Build: gcc -O3 -I csrc -o xor_baseline benchmarks/xor_baseline.c -lm
 * Usage: xor_baseline EPOCHS LR p0 ... p8
 *   (the 9 parameters in TensorGen's layout: ws0 row-major, bs0, ws1, bs1)
 * Prints the seconds spent training, the last cost and the final parameters (%.17g).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tg_math.h"

#define N 4   /* samples */
#define H 2   /* hidden units */
#define NP 9  /* parameters: W0 = p[0..3] (2x2 row-major), b0 = p[4..5], W1 = p[6..7], b1 = p[8] */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* One epoch: fills g with d cost / d p and returns the cost at p. */
static double epoch(const double *p, double *g)
{
    static const double X[N][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static const double Y[N] = {0, 1, 1, 0};
    double zh[N][H], dh_dz[N][H], h[N][H], zo[N], o[N], do_dz[N], dout[N], cost = 0.0;
    for (int s = 0; s < N; s++) {
        for (int j = 0; j < H; j++) {
            zh[s][j] = p[4 + j];
            zh[s][j] += X[s][0] * p[0 * H + j];
            zh[s][j] += X[s][1] * p[1 * H + j];
            h[s][j] = tg_act_and_grad(TG_SIGMOID, zh[s][j], &dh_dz[s][j]);
        }
        zo[s] = p[8];
        zo[s] += h[s][0] * p[6];
        zo[s] += h[s][1] * p[7];
        o[s] = tg_act_and_grad(TG_SIGMOID, zo[s], &do_dz[s]);
    }
    for (int s = 0; s < N; s++) {
        dout[s] = tg_loss_grad_elem(TG_MSE, o[s], Y[s], do_dz[s], 1.0 / N);
    }
    for (int i = 0; i < NP; i++) g[i] = 0.0;
    for (int s = 0; s < N; s++) g[8] += dout[s];
    for (int s = 0; s < N; s++) {
        g[6] += h[s][0] * dout[s];
        g[7] += h[s][1] * dout[s];
    }
    for (int s = 0; s < N; s++) {
        double dh[H];
        for (int j = 0; j < H; j++) {
            dh[j] = dout[s] * p[6 + j];
            dh[j] *= dh_dz[s][j];
        }
        for (int j = 0; j < H; j++) g[4 + j] += dh[j];
        for (int j = 0; j < H; j++) {
            g[0 * H + j] += X[s][0] * dh[j];
            g[1 * H + j] += X[s][1] * dh[j];
        }
    }
    for (int s = 0; s < N; s++) cost += tg_loss_row(TG_MSE, &zo[s], &o[s], &Y[s], 1);
    return cost / N;
}

int main(int argc, char **argv)
{
    if (argc != 3 + NP) {
        fprintf(stderr, "usage: %s EPOCHS LR p0 ... p8\n", argv[0]);
        return 2;
    }
    long epochs = atol(argv[1]);
    double lr = atof(argv[2]), p[NP], g[NP];
    for (int i = 0; i < NP; i++) p[i] = atof(argv[3 + i]);
    double *cost = malloc((epochs > 0 ? epochs : 1) * sizeof(double));
    if (epochs < 1 || cost == NULL) return 2;
    double t0 = now();
    for (long e = 0; e < epochs; e++) {
        cost[e] = epoch(p, g);
        for (int i = 0; i < NP; i++) p[i] = p[i] - lr * g[i];
    }
    double elapsed = now() - t0;
    printf("%.9f\n%.17g\n", elapsed, cost[epochs - 1]);
    for (int i = 0; i < NP; i++) printf("%.17g\n", p[i]);
    free(cost);
    return 0;
}
