/* RSEdit's optional C kernels for CPU training (loaded by native_kernels.py through ctypes):
   the Winograd F(4x4, 3x3) tile transforms of winograd_conv.py and the weight gradient of a
   depthwise convolution. BT_4 and AT_4 are the matrices of Lavin & Gray (2016); G, the third,
   transforms the weights in Python (native_kernels.MATRICES[4]) and must stay consistent with
   them (tests/test_native_kernel_build.py checks it). The build assumes finite values
   (-ffinite-math-only): a run whose activations overflow has already failed. */
typedef long long i64;
static void coords(i64 p, i64 th, i64 tw, i64 *n, i64 *i, i64 *j) {
    *n = p / (th * tw); i64 r = p % (th * tw); *i = r / tw; *j = r % tw;
}

/* F(M x M, 3x3): tiles of A x A input px at stride M; V, M, dM, dV are [A*A][P][C] */
#define M_ 4
#define A_ (M_ + 2)
#define CB 16 /* channels per block: two AVX vectors, small enough to stay in registers/L1 */
static const float BT_4[A_][A_] = {
    {4, 0, -5, 0, 1, 0},
    {0, -4, -4, 1, 1, 0},
    {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0},
    {0, 2, -1, -2, 1, 0},
    {0, 4, 0, -5, 0, 1},
};
static const float AT_4[M_][A_] = {
    {1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0},
    {0, 1, 1, 4, 4, 0},
    {0, 1, -1, 8, -8, 1},
};

/* V = B^T d B, d = the input tile at rows M*i-1.., cols M*j-1.. (zero outside the image) */
void wino_input_4(const float *x, i64 h, i64 w, i64 c, i64 sn, i64 sh, i64 sw, const float *zeros,
                  float *v, i64 th, i64 tw, i64 P, i64 p0, i64 p1) {
    for (i64 p = p0; p < p1; ++p) {
        i64 n, i, j;
        coords(p, th, tw, &n, &i, &j);
        const float *d[A_][A_];
        for (int k = 0; k < A_; ++k)
            for (int l = 0; l < A_; ++l) {
                i64 y = M_ * i - 1 + k, x0 = M_ * j - 1 + l;
                d[k][l] = (y >= 0 && y < h && x0 >= 0 && x0 < w) ? x + n * sn + y * sh + x0 * sw : zeros;
            }
        for (i64 c0 = 0; c0 < c; c0 += CB) {
            i64 cb = c - c0 < CB ? c - c0 : CB;
            float dl[A_][A_][CB], r[A_][A_][CB];
            for (int k = 0; k < A_; ++k)
                for (int l = 0; l < A_; ++l)
                    for (i64 cc = 0; cc < cb; ++cc) dl[k][l][cc] = d[k][l][c0 + cc];
            for (int a = 0; a < A_; ++a)
                for (int l = 0; l < A_; ++l)
                    for (i64 cc = 0; cc < CB; ++cc) {
                        float acc = 0.0f;
                        for (int k = 0; k < A_; ++k) acc += BT_4[a][k] * dl[k][l][cc];
                        r[a][l][cc] = acc;
                    }
            for (int a = 0; a < A_; ++a)
                for (int b = 0; b < A_; ++b) {
                    float *o = v + ((i64)(a * A_ + b) * P + p) * c + c0;
                    for (i64 cc = 0; cc < cb; ++cc) {
                        float acc = 0.0f;
                        for (int l = 0; l < A_; ++l) acc += r[a][l][cc] * BT_4[b][l];
                        o[cc] = acc;
                    }
                }
        }
    }
}

/* y (contiguous NHWC) M x M tile = A^T M A + bias */
void wino_output_4(const float *m, const float *bias, float *y, i64 h, i64 w, i64 c, i64 th, i64 tw, i64 P,
                   i64 p0, i64 p1) {
    float trash[c > 0 ? c : 1];
    for (i64 p = p0; p < p1; ++p) {
        i64 n, i, j;
        coords(p, th, tw, &n, &i, &j);
        float *o[M_][M_];
        for (int r = 0; r < M_; ++r)
            for (int s = 0; s < M_; ++s) {
                i64 yy = M_ * i + r, xx = M_ * j + s;
                o[r][s] = (yy < h && xx < w) ? y + ((n * h + yy) * w + xx) * c : trash;
            }
        for (i64 c0 = 0; c0 < c; c0 += CB) {
            i64 cb = c - c0 < CB ? c - c0 : CB;
            float ml[A_][A_][CB], t[M_][A_][CB], bb[CB];
            for (int a = 0; a < A_; ++a)
                for (int b = 0; b < A_; ++b) {
                    const float *in = m + ((i64)(a * A_ + b) * P + p) * c + c0;
                    for (i64 cc = 0; cc < cb; ++cc) ml[a][b][cc] = in[cc];
                }
            for (i64 cc = 0; cc < cb; ++cc) bb[cc] = bias ? bias[c0 + cc] : 0.0f;
            for (int r = 0; r < M_; ++r)
                for (int b = 0; b < A_; ++b)
                    for (i64 cc = 0; cc < CB; ++cc) {
                        float acc = 0.0f;
                        for (int a = 0; a < A_; ++a) acc += AT_4[r][a] * ml[a][b][cc];
                        t[r][b][cc] = acc;
                    }
            for (int r = 0; r < M_; ++r)
                for (int s = 0; s < M_; ++s) {
                    float *dst = o[r][s] == trash ? trash : o[r][s] + c0;
                    for (i64 cc = 0; cc < cb; ++cc) {
                        float acc = bb[cc];
                        for (int b = 0; b < A_; ++b) acc += t[r][b][cc] * AT_4[s][b];
                        dst[cc] = acc;
                    }
                }
        }
    }
}

/* dM = A dY A^T for the M x M output tile of p (zero outside the image) */
void wino_grad_output_4(const float *g, i64 h, i64 w, i64 c, i64 sn, i64 sh, i64 sw, const float *zeros,
                        float *dm, i64 th, i64 tw, i64 P, i64 p0, i64 p1) {
    for (i64 p = p0; p < p1; ++p) {
        i64 n, i, j;
        coords(p, th, tw, &n, &i, &j);
        const float *gp[M_][M_];
        for (int r = 0; r < M_; ++r)
            for (int s = 0; s < M_; ++s) {
                i64 yy = M_ * i + r, xx = M_ * j + s;
                gp[r][s] = (yy < h && xx < w) ? g + n * sn + yy * sh + xx * sw : zeros;
            }
        float *o[A_ * A_];
        for (int ab = 0; ab < A_ * A_; ++ab) o[ab] = dm + ((i64)ab * P + p) * c;
#pragma GCC ivdep
        for (i64 ch = 0; ch < c; ++ch) {
            float gl[M_][M_], e[A_][M_];
            for (int r = 0; r < M_; ++r)
                for (int s = 0; s < M_; ++s) gl[r][s] = gp[r][s][ch];
            for (int a = 0; a < A_; ++a)
                for (int s = 0; s < M_; ++s) {
                    float acc = 0.0f;
                    for (int r = 0; r < M_; ++r) acc += AT_4[r][a] * gl[r][s];
                    e[a][s] = acc;
                }
            for (int a = 0; a < A_; ++a)
                for (int b = 0; b < A_; ++b) {
                    float acc = 0.0f;
                    for (int s = 0; s < M_; ++s) acc += e[a][s] * AT_4[s][b];
                    o[a * A_ + b][ch] = acc;
                }
        }
    }
}

/* dx (contiguous NHWC, zeroed) += B dV B^T of every tile in tile rows i = 2q + parity: rows of the
   same parity do not overlap, so units (image, tile row) can run in parallel */
void wino_input_grad_4(const float *dv, float *dx, i64 h, i64 w, i64 c, i64 th, i64 tw, i64 P, i64 parity,
                       i64 u0, i64 u1) {
    float buf[A_ * A_][CB];
    i64 nq = (th - parity + 1) / 2;
    for (i64 u = u0; u < u1; ++u) {
        i64 n = u / nq, i = 2 * (u % nq) + parity;
        for (i64 j = 0; j < tw; ++j) {
            i64 p = (n * th + i) * tw + j;
            float *o[A_ * A_];
            for (int k = 0; k < A_; ++k)
                for (int l = 0; l < A_; ++l) {
                    i64 yy = M_ * i - 1 + k, xx = M_ * j - 1 + l;
                    o[k * A_ + l] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? dx + ((n * h + yy) * w + xx) * c : 0;
                }
            for (i64 c0 = 0; c0 < c; c0 += CB) {
                i64 cb = c - c0 < CB ? c - c0 : CB;
                const float *in[A_ * A_];
                for (int ab = 0; ab < A_ * A_; ++ab) in[ab] = dv + ((i64)ab * P + p) * c + c0;
                for (i64 cc = 0; cc < cb; ++cc) {
                    float vl[A_][A_], q[A_][A_];
                    for (int a = 0; a < A_; ++a)
                        for (int b = 0; b < A_; ++b) vl[a][b] = in[a * A_ + b][cc];
                    for (int a = 0; a < A_; ++a)
                        for (int l = 0; l < A_; ++l) {
                            float acc = 0.0f;
                            for (int b = 0; b < A_; ++b) acc += vl[a][b] * BT_4[b][l];
                            q[a][l] = acc;
                        }
                    for (int k = 0; k < A_; ++k)
                        for (int l = 0; l < A_; ++l) {
                            float acc = 0.0f;
                            for (int a = 0; a < A_; ++a) acc += BT_4[a][k] * q[a][l];
                            buf[k * A_ + l][cc] = acc;
                        }
                }
                for (int kl = 0; kl < A_ * A_; ++kl) {
                    float *dst = o[kl];
                    if (!dst) continue;
                    dst += c0;
#pragma GCC ivdep
                    for (i64 cc = 0; cc < cb; ++cc) dst[cc] += buf[kl][cc];
                }
            }
        }
    }
}
#undef M_
#undef A_
#undef CB

/* partial[kk][ch] = sum over pixels (n, y, x) of rows [r0, r1) (r = n*h + y) of
   g[n][y][x][ch] * x[n][y+ky-K/2][x+kx-K/2][ch] (zero outside), kk = ky*K + kx: the weight gradient
   of a KxK depthwise convolution with 'same' padding, for one thread's share of the rows */
void depthwise_weight_grad(const float *x, const float *g, float *partial, i64 h, i64 w, i64 c, i64 k,
                           i64 xsn, i64 xsh, i64 xsw, i64 gsn, i64 gsh, i64 gsw, i64 r0, i64 r1) {
    i64 half = k / 2;
    for (i64 kk = 0; kk < k * k * c; ++kk) partial[kk] = 0.0f;
    for (i64 r = r0; r < r1; ++r) {
        i64 n = r / h, y = r % h;
        for (i64 ky = 0; ky < k; ++ky) {
            i64 ys = y + ky - half;
            if (ys < 0 || ys >= h) continue;
            for (i64 xx = 0; xx < w; ++xx) {
                const float *gp = g + n * gsn + y * gsh + xx * gsw;
                for (i64 kx = 0; kx < k; ++kx) {
                    i64 xs = xx + kx - half;
                    if (xs < 0 || xs >= w) continue;
                    const float *xp = x + n * xsn + ys * xsh + xs * xsw;
                    float *acc = partial + (ky * k + kx) * c;
#pragma GCC ivdep
                    for (i64 ch = 0; ch < c; ++ch) acc[ch] += gp[ch] * xp[ch];
                }
            }
        }
    }
}
