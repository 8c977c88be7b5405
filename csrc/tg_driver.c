/* tg_driver.c -- see tg_driver.h. */
#include "tg_driver.h"

double tg_batch(long n_params, long n_in, long n_out, const double *params, const double *X,
                const double *Y, long n, double *grad)
{
    double total = 0.0;
    for (long j = 0; j < n_params; j++) grad[j] = 0.0;
    for (long i = 0; i < n; i++) {
        tg_sample(params, X + i * n_in, Y + i * n_out, &total, grad);
    }
    for (long j = 0; j < n_params; j++) grad[j] /= (double)n;
    return total / (double)n;
}
