/* tests/test_png.c: PNG input.  The test writes its own images with libpng
 * directly (every colour type and depth) and checks they read back exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <png.h>

#include <xai/xai.h>

#include "support/shell.h"

static char dir[64];

/* Sample value of pixel (x, y), channel c, for a given bit depth. */
static unsigned sample(unsigned x, unsigned y, unsigned c, int depth)
{
    unsigned max = (1u << depth) - 1;
    return (x * 37 + y * 101 + c * 53 + x * y * 7) % (max + 1);
}

static void write_png(const char *path, unsigned w, unsigned h, int type,
                      int depth, unsigned channels)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_int_equal(setjmp(png_jmpbuf(png)), 0);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    unsigned char *row = calloc(w * channels * 2 + 1, 1);
    for (unsigned y = 0; y < h; y++) {
        memset(row, 0, w * channels * 2 + 1);
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < channels; c++) {
                unsigned v = sample(x, y, c, depth), k = x * channels + c;
                if (depth == 16) {
                    row[2 * k] = (unsigned char)(v >> 8);
                    row[2 * k + 1] = (unsigned char)v;
                } else if (depth == 8) {
                    row[k] = (unsigned char)v;
                } else { /* packed grey, most significant bits first */
                    unsigned bit = k * (unsigned)depth;
                    row[bit / 8] |= (unsigned char)(v << (8 - depth - bit % 8));
                }
            }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
}

/* A palette (colour type 3) image of depth 2, 4 or 8 with the given colour
 * table and optional tRNS alphas (n_alpha entries); pixel (x, y) takes index
 * (x + 3 y) % n_pal. */
static void write_palette_png(const char *path, unsigned w, unsigned h, int depth,
                              const png_color *pal, int n_pal, const png_byte *alpha,
                              int n_alpha)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_int_equal(setjmp(png_jmpbuf(png)), 0);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(png, info, pal, n_pal);
    if (alpha)
        png_set_tRNS(png, info, alpha, n_alpha, NULL);
    png_write_info(png, info);
    unsigned char *row = calloc(w + 1, 1);
    for (unsigned y = 0; y < h; y++) {
        memset(row, 0, w + 1);
        for (unsigned x = 0; x < w; x++) {
            unsigned v = (x + 3 * y) % (unsigned)n_pal, bit = x * (unsigned)depth;
            row[bit / 8] |= (unsigned char)(v << (8 - depth - bit % 8));
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
}

/* Palette images read as RGB (RGBA with tRNS: entries beyond the tRNS
 * list are opaque), each pixel its palette entry / 255. */
static void palette(void **state)
{
    (void)state;
    static const png_color pal[6] = {{255, 0, 0}, {0, 128, 255}, {17, 34, 51},
                                     {0, 0, 0},   {250, 251, 252}, {1, 99, 200}};
    static const png_byte alpha[3] = {0, 128, 255};
    static const int depths[3] = {2, 4, 8};
    char path[128];
    for (int t = 0; t < 4; t++) {
        int depth = t < 3 ? depths[t] : 8, n_pal = depth == 2 ? 4 : 6, with_trns = t == 3;
        unsigned w = 7, h = 3;
        snprintf(path, sizeof path, "%s/pal%d.png", dir, t);
        write_palette_png(path, w, h, depth, pal, n_pal, with_trns ? alpha : NULL,
                          with_trns ? 3 : 0);
        xai_dataset *d;
        if (xai_dataset_load_png(path, &d) != XAI_OK)
            fail_msg("%s", xai_last_error());
        uint32_t c, hh, ww;
        assert_int_equal(xai_dataset_image_shape(d, &c, &hh, &ww), 1);
        assert_int_equal(c, with_trns ? 4 : 3);
        assert_int_equal(hh, h);
        assert_int_equal(ww, w);
        const float *v = xai_dataset_row(d, 0);
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < w; x++) {
                unsigned i = (x + 3 * y) % (unsigned)n_pal;
                const unsigned want[4] = {pal[i].red, pal[i].green, pal[i].blue,
                                          i < 3 ? alpha[i] : 255};
                for (unsigned ch = 0; ch < c; ch++) {
                    float got = v[(ch * h + y) * w + x];
                    if (got != (float)want[ch] / 255.0f)
                        fail_msg("%s pixel (%u, %u) channel %u: %g, want %u/255", path, x,
                                 y, ch, got, want[ch]);
                }
            }
        xai_dataset_free(d);
    }
    /* tRNS on an RGB image: the one transparent colour gets alpha 0 */
    enum { W = 4, H = 2 };
    snprintf(path, sizeof path, "%s/rgb_trns.png", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_int_equal(setjmp(png_jmpbuf(png)), 0);
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color_16 key = {0, 17, 34, 51, 0}; /* pal[2] */
    png_set_tRNS(png, info, NULL, 0, &key);
    png_write_info(png, info);
    for (unsigned y = 0; y < H; y++) {
        png_byte row[3 * W];
        for (unsigned x = 0; x < W; x++) {
            const png_color *p = &pal[(x + 3 * y) % 6];
            row[3 * x] = p->red, row[3 * x + 1] = p->green, row[3 * x + 2] = p->blue;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_OK);
    uint32_t c, hh, ww;
    assert_int_equal(xai_dataset_image_shape(d, &c, &hh, &ww), 1);
    assert_int_equal(c, 4);
    const float *v = xai_dataset_row(d, 0);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++)
            assert_true(v[(3 * H + y) * W + x] == ((x + 3 * y) % 6 == 2 ? 0.0f : 1.0f));
    xai_dataset_free(d);
}

static void check_read(const char *path, unsigned w, unsigned h, int depth,
                       unsigned channels)
{
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_OK);
    uint32_t c, hh, ww;
    assert_int_equal(xai_dataset_image_shape(d, &c, &hh, &ww), 1);
    assert_int_equal(c, channels);
    assert_int_equal(hh, h);
    assert_int_equal(ww, w);
    const float *v = xai_dataset_row(d, 0);
    float max = (float)((1u << depth) - 1);
    for (unsigned ch = 0; ch < channels; ch++)
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < w; x++) {
                /* low depths are expanded to 8 bits by bit replication,
                 * which maps v to exactly v/max after /255 */
                float want = (float)sample(x, y, ch, depth) / max;
                assert_float_equal(v[(ch * h + y) * w + x], want, 1e-6);
            }
    xai_dataset_free(d);
}

static void every_type_and_depth(void **state)
{
    (void)state;
    static const struct { int type, depth; unsigned ch; } cases[] = {
        {PNG_COLOR_TYPE_GRAY, 1, 1},       {PNG_COLOR_TYPE_GRAY, 2, 1},
        {PNG_COLOR_TYPE_GRAY, 4, 1},       {PNG_COLOR_TYPE_GRAY, 8, 1},
        {PNG_COLOR_TYPE_GRAY, 16, 1},      {PNG_COLOR_TYPE_GRAY_ALPHA, 8, 2},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, 2}, {PNG_COLOR_TYPE_RGB, 8, 3},
        {PNG_COLOR_TYPE_RGB, 16, 3},       {PNG_COLOR_TYPE_RGBA, 8, 4},
        {PNG_COLOR_TYPE_RGBA, 16, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/t%zu.png", dir, i);
        write_png(path, 13, 7, cases[i].type, cases[i].depth, cases[i].ch);
        check_read(path, 13, 7, cases[i].depth, cases[i].ch);
        unlink(path);
    }
}

static void directory_batch(void **state)
{
    (void)state;
    char sub[128], path[160];
    snprintf(sub, sizeof sub, "%s/batch", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const char *names[] = {"b.png", "a.png", "c.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", sub, names[i]);
        write_png(path, 4, 3, PNG_COLOR_TYPE_RGB, 8, 3);
    }
    snprintf(path, sizeof path, "%s/notes.txt", sub);
    FILE *f = fopen(path, "w");
    fputs("not an image\n", f);
    fclose(f);
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_png(sub, &d), XAI_OK);
    assert_int_equal(xai_dataset_rows(d), 3);
    assert_int_equal(xai_dataset_features(d), 36);
    assert_string_equal(xai_dataset_feature_name(d, 35), "2_2_3");
    xai_dataset_free(d);

    /* a different size is refused, naming both files */
    snprintf(path, sizeof path, "%s/d.png", sub);
    write_png(path, 5, 3, PNG_COLOR_TYPE_RGB, 8, 3);
    assert_int_equal(xai_dataset_load_png(sub, &d), XAI_ERR_SHAPE);
    assert_null(d);
    char want[512];
    snprintf(want, sizeof want,
             "%s/d.png: image is 5x3 with 3 channels, but %s/a.png is 4x3 with 3", sub, sub);
    assert_string_equal(xai_last_error(), want);
}

static void bad_files(void **state)
{
    (void)state;
    char path[128], want[256];
    xai_dataset *d;
    snprintf(path, sizeof path, "%s/text.png", dir);
    FILE *f = fopen(path, "w");
    fputs("hello, not a png", f);
    fclose(f);
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_ERR_PARSE);
    snprintf(want, sizeof want, "%s: not a PNG file", path);
    assert_string_equal(xai_last_error(), want);

    /* a truncated image: valid signature and header, data cut short */
    char full[128];
    snprintf(full, sizeof full, "%s/full.png", dir);
    write_png(full, 64, 64, PNG_COLOR_TYPE_RGB, 8, 3);
    f = fopen(full, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 200);
    snprintf(path, sizeof path, "%s/cut.png", dir);
    f = fopen(path, "wb");
    fwrite(buf, 1, n / 2, f);
    fclose(f);
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_ERR_PARSE);
    assert_null(d);
    snprintf(want, sizeof want, "%s: invalid PNG: ", path);
    assert_memory_equal(xai_last_error(), want, strlen(want));

    snprintf(path, sizeof path, "%s/none.png", dir);
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_ERR_IO);
}

/* CRC-32 as PNG chunks use it (bitwise, polynomial 0xedb88320). */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* A small file whose header declares a huge image is refused before the
 * loader allocates for it (deflate cannot expand beyond ~1032:1). */
static void declared_size_beyond_file(void **state)
{
    (void)state;
    char path[128], want[256];
    snprintf(path, sizeof path, "%s/huge.png", dir);
    write_png(path, 4, 4, PNG_COLOR_TYPE_GRAY, 8, 1);
    FILE *f = fopen(path, "r+b");
    unsigned char b[33];
    assert_int_equal(fread(b, 1, 33, f), 33);
    assert_memory_equal(b + 12, "IHDR", 4);
    for (int i = 0; i < 2; i++) { /* width, height = 16384 */
        b[16 + 4 * i] = 0, b[17 + 4 * i] = 0, b[18 + 4 * i] = 0x40, b[19 + 4 * i] = 0;
    }
    uint32_t crc = crc32_png(b + 12, 17);
    b[29] = (unsigned char)(crc >> 24), b[30] = (unsigned char)(crc >> 16);
    b[31] = (unsigned char)(crc >> 8), b[32] = (unsigned char)crc;
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(b, 1, 33, f), 33);
    long size = (fseek(f, 0, SEEK_END), ftell(f));
    fclose(f);
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_ERR_PARSE);
    assert_null(d);
    snprintf(want, sizeof want,
             "%s: invalid PNG: declares 16384 x 16384 pixels, more than its %ld bytes can hold",
             path, size);
    assert_string_equal(xai_last_error(), want);
}

static void writer_round_trip(void **state)
{
    (void)state;
    uint8_t px[5 * 4 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(i * 17);
    char path[128];
    snprintf(path, sizeof path, "%s/w.png", dir);
    assert_int_equal(xai_png_write(path, 5, 4, 3, px), XAI_OK);
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_png(path, &d), XAI_OK);
    for (unsigned c = 0; c < 3; c++)
        for (unsigned y = 0; y < 4; y++)
            for (unsigned x = 0; x < 5; x++)
                assert_float_equal(xai_dataset_row(d, 0)[(c * 4 + y) * 5 + x],
                                   px[(y * 5 + x) * 3 + c] / 255.0f, 1e-7);
    xai_dataset_free(d);
    /* an unwritable destination fails and leaves nothing */
    assert_int_equal(xai_png_write("/proc/xai-no/w.png", 5, 4, 3, px), XAI_ERR_IO);
}

static int setup(void **state)
{
    (void)state;
    tmp_dir(dir, sizeof dir, "xai_png");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_and_depth),
        cmocka_unit_test(palette),
        cmocka_unit_test(directory_batch),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(declared_size_beyond_file),
        cmocka_unit_test(writer_round_trip),
    };
    return cmocka_run_group_tests_name("png", tests, setup, teardown);
}
