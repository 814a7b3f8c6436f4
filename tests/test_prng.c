/* Unit tests for src/prng.c: xoshiro256** seeded through splitmix64, one stream per
 * (seed, rank, pipeline), and the fill functions the compute stage uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

/* ---- known answers ------------------------------------------------------------------------- */

static void test_xoshiro_reference_outputs(void **state)
{
    (void)state;
    /* The reference implementation (prng.di.unimi.it/xoshiro256starstar.c) from the state
     * {1, 2, 3, 4}: these are its first outputs. */
    struct ipb_prng g = {{1, 2, 3, 4}};
    static const uint64_t want[] = {
        UINT64_C(11520),
        UINT64_C(0),
        UINT64_C(1509978240),
        UINT64_C(1215971899390074240),
        UINT64_C(0x10e0b61ce1009d80),
        UINT64_C(0x0870021ce143ad00),
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(ipb_prng_next(&g), want[i]);
}

/* The seeding is splitmix64 (Vigna's reference constants) applied as documented in prng.c:
 * x = seed; x = sm(x) ^ rank; x = sm(x) ^ pipeline; s[i] = sm(x) four times. The expected
 * states and outputs were computed independently, in Python, from the reference algorithms
 * (whose splitmix64 gives 6457827717110365317, 3203168211198807973, 9817491932198370423 for
 * seed 1234567, the reference's published values). */
static void test_seed_known_answer(void **state)
{
    (void)state;
    static const struct {
        uint64_t seed, rank, pipeline;
        uint64_t s[4];
        uint64_t out[4];
    } cases[] = {
        {1,
         0,
         0,
         {UINT64_C(0xb18a02f46d8d86c3), UINT64_C(0xf8c5b62c83f707e8), UINT64_C(0x6d339d1740130edd),
          UINT64_C(0xce639a27887a2771)},
         {UINT64_C(0x6082e9993631e7d5), UINT64_C(0xe9acc0d447272233), UINT64_C(0x05fef1147bb626b9),
          UINT64_C(0x1777dc8fa6014861)}},
        {42,
         3,
         7,
         {UINT64_C(0xab2f97746e2ea953), UINT64_C(0x947dd740846bf300), UINT64_C(0xa1078e55bad921bb),
          UINT64_C(0x5a562c93e5950724)},
         {UINT64_C(0x0f6b2ba37cdb840b), UINT64_C(0x8aa38d95c0e3e463), UINT64_C(0x5bbfc1a4fed57967),
          UINT64_C(0x5469f4e83d54d772)}},
        {0,
         0,
         0,
         {UINT64_C(0x238275bc38fcbe91), UINT64_C(0xf89a2566b5822c54), UINT64_C(0x47200e1d9780fa44),
          UINT64_C(0xe710dc7a64e2470a)},
         {UINT64_C(0x8c4986f3f0e565d5), UINT64_C(0xf4547fdf5c2f56b6), UINT64_C(0x6a9e0d6a14f022fb),
          UINT64_C(0xdf483d9e238576e0)}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct ipb_prng g;
        memset(&g, 0, sizeof(g));
        ipb_prng_seed(&g, cases[c].seed, cases[c].rank, cases[c].pipeline);
        for (int i = 0; i < 4; i++)
            assert_int_equal(g.s[i], cases[c].s[i]);
        for (int i = 0; i < 4; i++)
            assert_int_equal(ipb_prng_next(&g), cases[c].out[i]);
    }
}

static void test_rotl(void **state)
{
    (void)state;
    assert_int_equal(ipb_prng_rotl(UINT64_C(1), 1), 2);
    assert_int_equal(ipb_prng_rotl(UINT64_C(0x8000000000000000), 1), 1);
    assert_int_equal(ipb_prng_rotl(UINT64_C(0x0123456789abcdef), 8), UINT64_C(0x23456789abcdef01));
    assert_int_equal(ipb_prng_rotl(UINT64_C(0x0123456789abcdef), 63), UINT64_C(0x8091a2b3c4d5e6f7));
}

/* ---- streams ------------------------------------------------------------------------------- */

static void test_same_inputs_same_stream(void **state)
{
    (void)state;
    struct ipb_prng a, b;
    memset(&a, 0x11, sizeof(a));
    memset(&b, 0x22, sizeof(b));
    ipb_prng_seed(&a, 12345, 6, 7);
    ipb_prng_seed(&b, 12345, 6, 7);
    assert_memory_equal(&a, &b, sizeof(a));
    for (int i = 0; i < 10000; i++)
        assert_int_equal(ipb_prng_next(&a), ipb_prng_next(&b));
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void test_any_differing_part_differs(void **state)
{
    (void)state;
    /* Every (seed, rank, pipeline) in a small cube, plus the swaps that a weak mix (xor or sum
     * of the parts) would confuse: the first output and the first 4 words of each stream are
     * all distinct (a 64-bit collision by chance has probability ~1e-14 here). */
    enum { NS = 6, NR = 8, NP = 8 };
    const uint64_t seeds[NS] = {0, 1, 2, 42, UINT64_MAX, UINT64_C(0x9e3779b97f4a7c15)};
    size_t n = 0;
    uint64_t *firsts = malloc(sizeof(uint64_t) * NS * NR * NP * 4);
    assert_non_null(firsts);
    for (int s = 0; s < NS; s++)
        for (uint64_t r = 0; r < NR; r++)
            for (uint64_t p = 0; p < NP; p++) {
                struct ipb_prng g;
                ipb_prng_seed(&g, seeds[s], r, p);
                for (int k = 0; k < 4; k++)
                    firsts[n++] = ipb_prng_next(&g);
            }
    qsort(firsts, n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (firsts[i] == firsts[i - 1]) {
            print_error("two streams share the word %016" PRIx64 "\n", firsts[i]);
            fail();
        }
    free(firsts);

    /* Each part alone changes the stream. */
    struct ipb_prng base, other;
    ipb_prng_seed(&base, 1, 2, 3);
    const uint64_t variants[][3] = {{2, 2, 3}, {1, 3, 3}, {1, 2, 4}, {1, 3, 2}, {2, 1, 3},
                                    {3, 2, 1}, {0, 2, 3}, {1, 0, 3}, {1, 2, 0}};
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        ipb_prng_seed(&other, variants[v][0], variants[v][1], variants[v][2]);
        int same_words = 0;
        for (int i = 0; i < 4; i++)
            same_words += base.s[i] == other.s[i];
        assert_int_equal(same_words, 0);
    }
}

static void test_state_never_all_zero(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 64; seed++) {
        struct ipb_prng g;
        ipb_prng_seed(&g, seed, seed * 3, seed * 7);
        assert_true((g.s[0] | g.s[1] | g.s[2] | g.s[3]) != 0);
    }
}

/* ---- ipb_prng_fill ------------------------------------------------------------------------- */

#define GUARD 0xa5
#define PAD   16

/* What ipb_prng_fill() must produce: the outputs' bytes in memory order. */
static void stream_bytes_memory_order(struct ipb_prng *g, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = ipb_prng_next(g);
        memcpy(out + i, &v, n - i < 8 ? n - i : 8);
    }
}

/* What ipb_prng_fill_sparse() (k >= 2) must produce: each output feeds eight touched bytes,
 * least significant byte first (the same as memory order on the little-endian machines HPC
 * runs on). */
static void stream_bytes(struct ipb_prng *g, unsigned char *out, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0)
            v = ipb_prng_next(g);
        out[i] = (unsigned char)(v >> (8 * (i % 8)));
    }
}

static void test_fill_exact_lengths(void **state)
{
    (void)state;
    static const size_t lens[] = {0,  1,  2,  3,  5,  7,    8,    9,    15,   16,
                                  17, 31, 63, 64, 65, 4095, 4096, 4097, 65537};
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
        size_t len = lens[li];
        unsigned char *mem = malloc(len + 2 * PAD);
        unsigned char *want = malloc(len + 8);
        assert_non_null(mem);
        assert_non_null(want);
        memset(mem, GUARD, len + 2 * PAD);

        struct ipb_prng g, ref;
        ipb_prng_seed(&g, 7, 1, (uint64_t)li);
        ref = g;
        ipb_prng_fill(&g, mem + PAD, len);
        stream_bytes_memory_order(&ref, want, len);

        /* Exactly len bytes, the generator's stream, nothing before or after. */
        for (size_t i = 0; i < PAD; i++) {
            assert_int_equal(mem[i], GUARD);
            assert_int_equal(mem[PAD + len + i], GUARD);
        }
        assert_memory_equal(mem + PAD, want, len);
        /* One output per started 8 bytes: both generators are at the same point now. */
        assert_memory_equal(&g, &ref, sizeof(g));
        free(mem);
        free(want);
    }
}

static void test_fill_is_not_constant(void **state)
{
    (void)state;
    /* Two fills in a row differ (the generator advanced), and differ from another stream. */
    unsigned char a[4096], b[4096], c[4096];
    struct ipb_prng g, h;
    ipb_prng_seed(&g, 1, 0, 0);
    ipb_prng_seed(&h, 1, 0, 1);
    ipb_prng_fill(&g, a, sizeof(a));
    ipb_prng_fill(&g, b, sizeof(b));
    ipb_prng_fill(&h, c, sizeof(c));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, c, sizeof(a));
}

/* ---- ipb_prng_fill_sparse ------------------------------------------------------------------ */

static void check_sparse(size_t len, uint64_t k, uint64_t tag)
{
    unsigned char *mem = malloc(len + 2 * PAD);
    unsigned char *before = malloc(len + 2 * PAD);
    size_t touched = len == 0 ? 0 : (size_t)((len - 1) / k + 1);
    unsigned char *want = malloc(touched + 8);
    assert_non_null(mem);
    assert_non_null(before);
    assert_non_null(want);

    /* A recognisable background, so an untouched byte is seen to be untouched. */
    for (size_t i = 0; i < len + 2 * PAD; i++)
        mem[i] = (unsigned char)(i * 31 + 7);
    memcpy(before, mem, len + 2 * PAD);

    struct ipb_prng g, ref;
    ipb_prng_seed(&g, 99, k, tag);
    ref = g;
    ipb_prng_fill_sparse(&g, mem + PAD, len, k);
    /* Touched bytes take consecutive bytes of the stream: one output feeds eight of them. */
    if (k <= 1)
        stream_bytes_memory_order(&ref, want, touched); /* k = 1 is a plain fill */
    else
        stream_bytes(&ref, want, touched);

    size_t j = 0;
    for (size_t i = 0; i < len + 2 * PAD; i++) {
        int inside = i >= PAD && i < PAD + len;
        int is_touched = inside && (i - PAD) % k == 0;
        if (is_touched) {
            if (mem[i] != want[j]) {
                print_error("len %zu k %" PRIu64 ": byte %zu = 0x%02x, expected stream byte %zu "
                            "= 0x%02x\n",
                            len, k, i - PAD, mem[i], j, want[j]);
                fail();
            }
            j++;
        } else if (mem[i] != before[i]) {
            print_error("len %zu k %" PRIu64 ": byte %td (not a multiple of k, or outside the "
                        "buffer) changed from 0x%02x to 0x%02x\n",
                        len, k, (ptrdiff_t)i - PAD, before[i], mem[i]);
            fail();
        }
    }
    assert_int_equal(j, touched);
    /* The generator advanced by exactly one output per started 8 touched bytes. */
    assert_memory_equal(&g, &ref, sizeof(g));
    free(mem);
    free(before);
    free(want);
}

static void test_fill_sparse_touches_exactly_every_kth(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 2, 7, 8, 9, 63, 64, 100, 4095, 4096, 4097, 10000, 65536};
    static const uint64_t ks[] = {2, 3, 7, 8, 9, 16, 4096, 4097};
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
        for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++)
            check_sparse(lens[li], ks[ki], li);
}

static void test_fill_sparse_k1_fills_everything(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 7, 8, 9, 4097};
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
        check_sparse(lens[li], 1, li);
}

static void test_fill_sparse_k_beyond_len(void **state)
{
    (void)state;
    /* k > len: only byte 0. k near 2^64 must not wrap the index around to the buffer. */
    check_sparse(100, 101, 0);
    check_sparse(100, 100, 1);
    check_sparse(100, 99, 2); /* bytes 0 and 99 */
    check_sparse(100, 1000000, 3);
    check_sparse(100, UINT64_C(1) << 40, 4);
    check_sparse(100, (uint64_t)SIZE_MAX, 5);
    check_sparse(100, (uint64_t)SIZE_MAX - 50, 6);
    check_sparse(1, UINT64_MAX, 7);
}

/* ---- randomness sanity --------------------------------------------------------------------- */

/* Chi-square of byte counts against uniform. With 255 degrees of freedom the statistic has mean
 * 255 and standard deviation 22.6; [150, 400] is more than 4.6 sigma either side, and the seed
 * is fixed, so this is a check for a broken generator (e.g. a constant, a counter, a stuck
 * byte lane), not a flaky statistical test. */
static double chi_square(const unsigned char *b, size_t n, size_t stride, unsigned *min_count)
{
    size_t counts[256] = {0};
    size_t m = 0;
    for (size_t i = 0; i < n; i += stride) {
        counts[b[i]]++;
        m++;
    }
    double expect = (double)m / 256.0, chi = 0.0;
    *min_count = (unsigned)-1;
    for (int v = 0; v < 256; v++) {
        double d = (double)counts[v] - expect;
        chi += d * d / expect;
        if (counts[v] < *min_count)
            *min_count = (unsigned)counts[v];
    }
    return chi;
}

static void test_fill_bytes_uniform(void **state)
{
    (void)state;
    const size_t n = 1 << 20;
    unsigned char *b = malloc(n);
    assert_non_null(b);
    struct ipb_prng g;
    ipb_prng_seed(&g, 1, 0, 0);
    ipb_prng_fill(&g, b, n);
    unsigned min_count;
    double chi = chi_square(b, n, 1, &min_count);
    if (!(chi > 150.0 && chi < 400.0) || min_count == 0) {
        print_error("1 MiB fill: chi-square %.1f (expected 150..400), rarest byte seen %u times\n",
                    chi, min_count);
        fail();
    }
    /* Every byte lane of the 64-bit outputs on its own (a weak lane would hide in the total). */
    for (size_t lane = 0; lane < 8; lane++) {
        chi = chi_square(b + lane, n - lane, 8, &min_count);
        if (!(chi > 150.0 && chi < 400.0) || min_count == 0) {
            print_error("byte lane %zu: chi-square %.1f, rarest byte %u times\n", lane, chi,
                        min_count);
            fail();
        }
    }
    free(b);
}

static void test_fill_sparse_bytes_uniform(void **state)
{
    (void)state;
    /* The compute stage's bytes (k = 8, the default) over a zeroed 8 MiB buffer. */
    const size_t n = 8 << 20;
    unsigned char *b = calloc(n, 1);
    assert_non_null(b);
    struct ipb_prng g;
    ipb_prng_seed(&g, 1, 0, 0);
    ipb_prng_fill_sparse(&g, b, n, 8);
    unsigned min_count;
    double chi = chi_square(b, n, 8, &min_count);
    if (!(chi > 150.0 && chi < 400.0) || min_count == 0) {
        print_error("sparse fill: chi-square %.1f, rarest byte %u times\n", chi, min_count);
        fail();
    }
    free(b);
}

static void test_fill_does_not_repeat(void **state)
{
    (void)state;
    /* A stand-in for "does not compress": no 64-bit word repeats within 1 MiB (131072 words;
     * a repeat by chance has probability ~5e-10), and every bit is set about half the time. */
    const size_t nw = (1 << 20) / 8;
    uint64_t *w = malloc(nw * sizeof(uint64_t));
    assert_non_null(w);
    struct ipb_prng g;
    ipb_prng_seed(&g, 3, 1, 4);
    ipb_prng_fill(&g, w, nw * sizeof(uint64_t));
    unsigned bits[64] = {0};
    for (size_t i = 0; i < nw; i++)
        for (int b = 0; b < 64; b++)
            bits[b] += (unsigned)((w[i] >> b) & 1);
    for (int b = 0; b < 64; b++) {
        /* mean 65536, sd 181: +-2000 is 11 sigma */
        if (bits[b] < 65536 - 2000 || bits[b] > 65536 + 2000) {
            print_error("bit %d set in %u of %zu words\n", b, bits[b], nw);
            fail();
        }
    }
    qsort(w, nw, sizeof(uint64_t), cmp_u64);
    for (size_t i = 1; i < nw; i++)
        assert_true(w[i] != w[i - 1]);
    free(w);
}

static void test_uniform_is_top_53_bits(void **state)
{
    (void)state;
    /* The receive-delay models take log(1 - u): u must never reach 1, and each value must be
     * the draw's top 53 bits exactly (a double holds no more, so none is rounded up to 1). */
    struct ipb_prng g, copy;
    ipb_prng_seed(&g, 11, 2, 5);
    copy = g;
    double sum = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = ipb_prng_uniform(&g);
        uint64_t top = ipb_prng_next(&copy) >> 11;
        assert_true(u >= 0.0 && u < 1.0);
        assert_true(u == (double)top * 0x1.0p-53);
        sum += u;
    }
    /* mean 1/2, standard error 0.289 / sqrt(n) = 0.0009: +-0.005 is over 5 sigma */
    assert_true(sum / n > 0.495 && sum / n < 0.505);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xoshiro_reference_outputs),
        cmocka_unit_test(test_seed_known_answer),
        cmocka_unit_test(test_rotl),
        cmocka_unit_test(test_same_inputs_same_stream),
        cmocka_unit_test(test_any_differing_part_differs),
        cmocka_unit_test(test_state_never_all_zero),
        cmocka_unit_test(test_fill_exact_lengths),
        cmocka_unit_test(test_fill_is_not_constant),
        cmocka_unit_test(test_fill_sparse_touches_exactly_every_kth),
        cmocka_unit_test(test_fill_sparse_k1_fills_everything),
        cmocka_unit_test(test_fill_sparse_k_beyond_len),
        cmocka_unit_test(test_fill_bytes_uniform),
        cmocka_unit_test(test_fill_sparse_bytes_uniform),
        cmocka_unit_test(test_fill_does_not_repeat),
        cmocka_unit_test(test_uniform_is_top_53_bits),
    };
    return cmocka_run_group_tests_name("prng", tests, NULL, NULL);
}
