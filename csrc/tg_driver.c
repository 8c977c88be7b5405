/* tg_driver.c -- see tg_driver.h. */
#include "tg_driver.h"

double tg_batch(ptrdiff_t n_params, ptrdiff_t n_in, ptrdiff_t n_out, const double *params,
                const double *X, const double *Y, ptrdiff_t n, double *grad)
{
    double total = 0.0;
    for (ptrdiff_t j = 0; j < n_params; j++) grad[j] = 0.0;
    for (ptrdiff_t i = 0; i < n; i++) {
        tg_sample(params, X + i * n_in, Y + i * n_out, &total, grad);
    }
    for (ptrdiff_t j = 0; j < n_params; j++) grad[j] /= (double)n;
    return total / (double)n;
}
