/*
 * xor_baseline.c -- the plain C reference for TensorGen's compiled training loop.
 *
 * The arithmetic of tensorgen's fit(engine="reverse", optimizer="sgd") on XOR, written the
 * way a C programmer would: a 2-2-1 sigmoid network, mean squared error summed over the
 * output, full-batch gradient descent, the cost of every epoch kept (as History.cost is).
 * Same operations in the same order as the Cython kernels, double precision throughout.
 *
 * Usage: xor_baseline EPOCHS LR w0 w1 w2 w3 b0 b1 v0 v1 c0
 *   (the 9 parameters in TensorGen's layout: ws0 row-major, bs0, ws1, bs1)
 * Prints the seconds spent training, the last cost and the final parameters (%.17g).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 4
#define NP 9

static double sigmoid(double z)
{
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const double X[N][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static const double Y[N] = {0, 1, 1, 0};
    if (argc != 3 + NP) {
        fprintf(stderr, "usage: %s EPOCHS LR p0 ... p8\n", argv[0]);
        return 2;
    }
    long epochs = atol(argv[1]);
    double lr = atof(argv[2]), p[NP], g[NP];
    for (int i = 0; i < NP; i++) p[i] = atof(argv[3 + i]);
    double *cost = malloc(epochs * sizeof(double));
    if (!cost) return 1;
    /* p: W0 = p[0..3] (2x2 row-major), b0 = p[4..5], W1 = p[6..7] (2x1), b1 = p[8] */
    double t0 = now();
    for (long e = 0; e < epochs; e++) {
        double h[N][2], o[N], dout[N], dh[2], c = 0.0;
        for (int i = 0; i < NP; i++) g[i] = 0.0;
        for (int s = 0; s < N; s++) {
            for (int j = 0; j < 2; j++) {
                double z = p[4 + j];
                z += X[s][0] * p[0 * 2 + j];
                z += X[s][1] * p[1 * 2 + j];
                h[s][j] = sigmoid(z);
            }
            double z = p[8];
            z += h[s][0] * p[6];
            z += h[s][1] * p[7];
            o[s] = sigmoid(z);
            dout[s] = (1.0 / N) * 2.0 * (o[s] - Y[s]) * (o[s] * (1.0 - o[s]));
        }
        for (int s = 0; s < N; s++) {
            g[8] += dout[s];
            g[6] += h[s][0] * dout[s];
            g[7] += h[s][1] * dout[s];
        }
        for (int s = 0; s < N; s++) {
            for (int j = 0; j < 2; j++) {
                dh[j] = dout[s] * p[6 + j];
                dh[j] *= h[s][j] * (1.0 - h[s][j]);
                g[4 + j] += dh[j];
                g[0 * 2 + j] += X[s][0] * dh[j];
                g[1 * 2 + j] += X[s][1] * dh[j];
            }
        }
        for (int s = 0; s < N; s++) c += (o[s] - Y[s]) * (o[s] - Y[s]);
        cost[e] = c / N;
        for (int i = 0; i < NP; i++) p[i] = p[i] - lr * g[i];
    }
    double elapsed = now() - t0;
    printf("%.9f\n%.17g\n", elapsed, cost[epochs - 1]);
    for (int i = 0; i < NP; i++) printf("%.17g\n", p[i]);
    free(cost);
    return 0;
}
