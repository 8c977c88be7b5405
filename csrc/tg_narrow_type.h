/*
 * tg_narrow_type.h -- the kernels of tg_narrow.h, written once over a floating type.
 *
 * Included by tg_narrow.h only, once per type, with these macros defined (and undefined
 * at the end; no include guard on purpose):
 *   TG_T        the floating type (double, float)
 *   TG_N(name)  the name of a kernel or table for this type (name_d, name_f)
 *   TG_M(name)  the name of a tg_math.h function for this type (tg_act_row, tg_act_row_f)
 */

/* Z = inp W + b for the n samples */
TG_FORCE_INLINE void TG_N(tg_narrow_affine_km)(const TG_T *inp, const TG_T *W, const TG_T *b,
                                         TG_T *Z, ptrdiff_t n, ptrdiff_t k, ptrdiff_t m)
{
    for (ptrdiff_t i = 0; i < n; i++, inp += k, Z += m) {
        for (ptrdiff_t c = 0; c < m; c++) {
            TG_T acc = b[c];
            for (ptrdiff_t t = 0; t < k; t++) acc += inp[t] * W[t * m + c];
            Z[c] = acc;
        }
    }
}

/* Z = inp W + b, A = act(Z). hidden: Z receives dA/dZ instead (computed with A, as
 * forward_pass does for hidden layers); otherwise act may be softmax. An elementwise
 * activation runs as one row over the layer's n x m units (a 2-2-1 step has a dozen:
 * one call each cost more than the units), softmax sample by sample. */
TG_FORCE_INLINE void TG_N(tg_narrow_forward_km)(const TG_T *inp, const TG_T *W, const TG_T *b,
                                          TG_T *Z, TG_T *A, ptrdiff_t n, int act,
                                          int hidden, ptrdiff_t k, ptrdiff_t m)
{
    TG_N(tg_narrow_affine_km)(inp, W, b, Z, n, k, m);
    if (hidden) {
        TG_M(tg_act_and_grad_row)(act, Z, A, Z, n * m);
    } else if (act != TG_SOFTMAX) {
        TG_M(tg_act_row)(act, Z, A, n * m);
    } else {
        for (ptrdiff_t i = 0; i < n; i++) TG_M(tg_act_row)(act, Z + i * m, A + i * m, m);
    }
}

/* gW = inp^T dZ, gb = column sums of dZ; unless dA is NULL, dA = (dZ W^T) * dAdZ
 * elementwise (the next layer down's dZ). */
TG_FORCE_INLINE void TG_N(tg_narrow_backward_km)(const TG_T *inp, const TG_T *dZ,
                                           const TG_T *W, const TG_T *dAdZ, TG_T *gW,
                                           TG_T *gb, TG_T *dA, ptrdiff_t n, ptrdiff_t k, ptrdiff_t m)
{
    TG_T accW[TG_NARROW * TG_NARROW], accb[TG_NARROW];
    for (ptrdiff_t t = 0; t < k * m; t++) accW[t] = 0.0; /* k * m stores, not a memset of all */
    for (ptrdiff_t c = 0; c < m; c++) accb[c] = 0.0;
    for (ptrdiff_t i = 0; i < n; i++, inp += k, dZ += m) {
        for (ptrdiff_t c = 0; c < m; c++) {
            accb[c] += dZ[c];
            for (ptrdiff_t t = 0; t < k; t++) accW[t * m + c] += inp[t] * dZ[c];
        }
        if (dA != NULL) {
            for (ptrdiff_t t = 0; t < k; t++) {
                TG_T acc = 0.0;
                for (ptrdiff_t c = 0; c < m; c++) acc += dZ[c] * W[t * m + c];
                dA[i * k + t] = acc * dAdZ[i * k + t];
            }
        }
    }
    memcpy(gW, accW, (size_t)(k * m) * sizeof(TG_T));
    memcpy(gb, accb, (size_t)m * sizeof(TG_T));
}

/* The output layer in a backward pass: Z, A as TG_N(tg_narrow_forward_km) (not hidden), then
 * dZ = scale * d(loss)/dZ; returns the sum of the samples' losses, added up as cost() in
 * _mlp.pyx does: one running sum over every output if flat (an elementwise loss), else
 * one term per sample. Y: n x m targets. */
TG_FORCE_INLINE double TG_N(tg_narrow_output_km)(const TG_T *inp, const TG_T *W, const TG_T *b,
                                           TG_T *Z, TG_T *A, const TG_T *Y, TG_T *dZ,
                                           ptrdiff_t n, int act, int loss, int flat,
                                           TG_T scale, ptrdiff_t k, ptrdiff_t m)
{
    double total = 0.0; /* a double in every type: the cost of a float network too */
    TG_N(tg_narrow_affine_km)(inp, W, b, Z, n, k, m);
    if (flat) { /* elementwise: A and act' (into dZ) from one row over the n x m outputs */
        TG_M(tg_act_and_grad_row)(act, Z, A, dZ, n * m);
        for (ptrdiff_t j = 0; j < n * m; j++) {
            TG_T d = dZ[j];
            dZ[j] = TG_M(tg_loss_grad_elem)(loss, A[j], Y[j], d, scale);
            total += TG_M(tg_loss_elem)(loss, Z[j], A[j], Y[j]);
        }
        return total;
    }
    for (ptrdiff_t i = 0; i < n; i++, Z += m, A += m, Y += m, dZ += m) {
        TG_M(tg_act_row)(act, Z, A, m);
        TG_M(tg_loss_grad_row)(loss, act, Z, A, Y, m, scale, dZ);
        total += TG_M(tg_loss_row)(loss, Z, A, Y, m);
    }
    return total;
}

/* A network of two narrow layers (one hidden layer): forward, loss and backward in one
 * function, the kernels above in the order backward_layers() in _mlp.pyx runs them (so
 * bit for bit its result), with all three widths known to the compiler and no calls
 * between the layers. Layer by layer rather than sample by sample: the exps of a layer's
 * samples are independent and overlap (one sample at a time measured slower).
 * p, g: the parameters and the gradient in the Plan's layout (W0, b0, W1, b1); Z0, A0,
 * Z1, A1, dZ, dA: the workspace blocks. Returns the cost. */
TG_FORCE_INLINE double TG_N(tg_narrow2_backward_khm)(const TG_T *X, const TG_T *Y, ptrdiff_t n,
                                               const TG_T *p, TG_T *g, TG_T *Z0,
                                               TG_T *A0, TG_T *Z1, TG_T *A1, TG_T *dZ,
                                               TG_T *dA, int act0, int act1, int loss,
                                               int flat, ptrdiff_t k, ptrdiff_t h,
                                               ptrdiff_t m)
{
    const TG_T *W0 = p, *b0 = p + k * h, *W1 = b0 + h, *b1 = W1 + h * m;
    TG_T *gW0 = g, *gb0 = g + k * h, *gW1 = gb0 + h, *gb1 = gW1 + h * m;
    double c;
    TG_N(tg_narrow_forward_km)(X, W0, b0, Z0, A0, n, act0, 1, k, h); /* Z0 now holds dA0/dZ0 */
    c = TG_N(tg_narrow_output_km)(A0, W1, b1, Z1, A1, Y, dZ, n, act1, loss, flat, 1.0 / n, h, m) / n;
    TG_N(tg_narrow_backward_km)(A0, dZ, W1, Z0, gW1, gb1, dA, n, h, m);
    TG_N(tg_narrow_backward_km)(X, dA, W0, NULL, gW0, gb0, NULL, n, k, h);
    return c;
}

typedef void (*TG_N(tg_narrow_forward_fn))(const TG_T *inp, const TG_T *W, const TG_T *b,
                                     TG_T *Z, TG_T *A, ptrdiff_t n, int act, int hidden);
typedef void (*TG_N(tg_narrow_backward_fn))(const TG_T *inp, const TG_T *dZ, const TG_T *W,
                                      const TG_T *dAdZ, TG_T *gW, TG_T *gb, TG_T *dA,
                                      ptrdiff_t n);
typedef double (*TG_N(tg_narrow_output_fn))(const TG_T *inp, const TG_T *W, const TG_T *b,
                                      TG_T *Z, TG_T *A, const TG_T *Y, TG_T *dZ,
                                      ptrdiff_t n, int act, int loss, int flat, TG_T scale);

TG_NARROW_ROW(1)
TG_NARROW_ROW(2)
TG_NARROW_ROW(3)
TG_NARROW_ROW(4)

/* the instance for k inputs, m outputs: tg_narrow_forward[k - 1][m - 1] */
static const TG_N(tg_narrow_forward_fn) TG_N(tg_narrow_forward)[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(forward);
static const TG_N(tg_narrow_backward_fn) TG_N(tg_narrow_backward)[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(backward);
static const TG_N(tg_narrow_output_fn) TG_N(tg_narrow_output)[TG_NARROW][TG_NARROW] =
    TG_NARROW_TABLE(output);

typedef double (*TG_N(tg_narrow2_backward_fn))(const TG_T *X, const TG_T *Y, ptrdiff_t n,
                                         const TG_T *p, TG_T *g, TG_T *Z0, TG_T *A0,
                                         TG_T *Z1, TG_T *A1, TG_T *dZ, TG_T *dA,
                                         int act0, int act1, int loss, int flat);

TG_NARROW2_BLOCK(1)
TG_NARROW2_BLOCK(2)
TG_NARROW2_BLOCK(3)
TG_NARROW2_BLOCK(4)

/* the two-layer network k-h-m: tg_narrow2_backward[k - 1][h - 1][m - 1] */
static const TG_N(tg_narrow2_backward_fn) TG_N(tg_narrow2_backward)[TG_NARROW][TG_NARROW][TG_NARROW] = {
    TG_NARROW2_TABLE_BLOCK(1), TG_NARROW2_TABLE_BLOCK(2), TG_NARROW2_TABLE_BLOCK(3),
    TG_NARROW2_TABLE_BLOCK(4)};

#undef TG_T
#undef TG_N
#undef TG_M
