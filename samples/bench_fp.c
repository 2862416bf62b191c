/*
 * bench_fp.c - floating-point kernel: an n-body simulation (sqrt, divide),
 * a dense double matrix multiply, a single-precision polynomial/FMA loop and
 * a Mandelbrot escape count. Prints a checksum of the exact bit patterns.
 * `bench_fp [SCALE]` (default 250; 1 is a quick correctness run).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB 5
struct body { double x, y, z, vx, vy, vz, m; };

static void nbody(struct body *b, int steps, double dt)
{
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < NB; i++)
            for (int j = i + 1; j < NB; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * sqrt(d2));
                b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
                b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
            }
        for (int i = 0; i < NB; i++) {
            b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz;
        }
    }
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 250;
    if (scale < 1) scale = 1;
    uint64_t h = 0;
    struct body b[NB];
    for (int i = 0; i < NB; i++)
        b[i] = (struct body){ i * 1.1, i * -0.7 + 0.3, i * 0.37, 0.01 * i, -0.02 * i, 0.005, 1.0 + i * 0.5 };
    nbody(b, (int)scale * 1500, 0.001);
    for (int i = 0; i < NB; i++) h = h * 31 + bits(b[i].x) + bits(b[i].vy);

    int n = 64;
    double *A = malloc(sizeof(double) * (size_t)(n * n)), *B = malloc(sizeof(double) * (size_t)(n * n)),
           *C = malloc(sizeof(double) * (size_t)(n * n));
    for (int i = 0; i < n * n; i++) {
        A[i] = (i % 17) * 0.25 - 1.5;
        B[i] = (i % 13) * 0.125 + 0.1;
    }
    for (long r = 0; r < scale / 10 + 1; r++) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
                C[i * n + j] = s;
            }
        A[r % (n * n)] += C[(r * 7) % (n * n)] * 1e-3;
    }
    for (int i = 0; i < n * n; i += 37) h = h * 31 + bits(C[i]);

    float f = 0.5f, acc = 0;
    for (long i = 0; i < scale * 20000; i++) {
        f = fmaf(f, 0.999f, 0.0007f);
        acc += f * f - 0.25f * f + (float)(i & 7);
    }
    h = h * 31 + bits((double)acc);

    long esc = 0;
    int side = 40 + (int)scale;
    for (int py = 0; py < side; py++)
        for (int px = 0; px < side; px++) {
            double cr = -2.0 + 2.5 * px / side, ci = -1.25 + 2.5 * py / side, zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            esc += it;
        }
    h = h * 31 + (uint64_t)esc;
    h = h * 31 + bits(exp(-1.25) + log(3.5) + sin(0.75) + atan2(1.0, 3.0) + pow(2.5, 1.7));
    printf("bench_fp scale %ld checksum %016llx\n", scale, (unsigned long long)h);
    return 0;
}
