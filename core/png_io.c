/* core/png_io.c: libpng adaptor: read any common PNG into CHW floats, write
 * 8-bit PNGs atomically.  libpng reports errors by longjmp; every jump lands
 * in this file and becomes an xai_status. */
#include "png_io.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xai/image.h>
#include <xai/outfile.h>

#include "error.h"

/* Largest image accepted: 2^28 values (1 GiB of floats). */
#define MAX_PNG_VALUES ((size_t)1 << 28)
/* deflate cannot compress better than about 1032:1, so a file of B bytes
 * cannot hold more than ~1032 B bytes of pixel rows: a larger declared size
 * is a lie we refuse before allocating for it. */
#define DEFLATE_MAX_RATIO 1100

typedef struct png_err {
    char msg[200];
} png_err;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings (e.g. bad sRGB chunks) do not stop a read */
}

xai_status xai_png_read(const char *path, uint32_t *channels, uint32_t *height,
                        uint32_t *width, float **chw)
{
    *chw = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(f);
        return xai_fail(XAI_ERR_PARSE, "%s: not a PNG file", path);
    }
    png_err err = {{0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err,
                                             on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(f);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory", path);
    }
    /* written after setjmp and read after a longjmp: volatile */
    unsigned char *volatile raw = NULL;
    png_bytep *volatile rows = NULL;
    float *volatile out = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(raw);
        free(rows);
        free(out);
        fclose(f);
        return xai_fail(XAI_ERR_PARSE, "%s: invalid PNG: %s", path, err.msg);
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_read_update_info(png, info);
    int depth = png_get_bit_depth(png, info);
    uint32_t c = png_get_channels(png, info);
    size_t values, rowbytes = png_get_rowbytes(png, info), rawbytes;
    struct stat st;
    if (!xai_mul3_size(w, h, c, &values) || values > MAX_PNG_VALUES ||
        !xai_mul_size(rowbytes, h, &rawbytes)) {
        snprintf(err.msg, sizeof err.msg, "image of %lu x %lu is too large",
                 (unsigned long)w, (unsigned long)h);
        png_longjmp(png, 1);
    }
    if (fstat(fileno(f), &st) == 0 &&
        rawbytes / DEFLATE_MAX_RATIO > (size_t)st.st_size) {
        snprintf(err.msg, sizeof err.msg,
                 "declares %lu x %lu pixels, more than its %lld bytes can hold",
                 (unsigned long)w, (unsigned long)h, (long long)st.st_size);
        png_longjmp(png, 1);
    }
    raw = malloc(rawbytes);
    rows = malloc(h * sizeof *rows);
    out = malloc(values * sizeof *out);
    if (!raw || !rows || !out) {
        snprintf(err.msg, sizeof err.msg, "out of memory");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = raw + y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    /* interleaved HWC (16-bit samples big-endian) -> planar CHW in [0, 1] */
    for (png_uint_32 y = 0; y < h; y++)
        for (png_uint_32 x = 0; x < w; x++)
            for (uint32_t ch = 0; ch < c; ch++) {
                size_t k = (size_t)x * c + ch;
                float v = depth == 16
                              ? (float)((rows[y][2 * k] << 8) | rows[y][2 * k + 1]) / 65535.0f
                              : (float)rows[y][k] / 255.0f;
                out[((size_t)ch * h + y) * w + x] = v;
            }
    png_destroy_read_struct(&png, &info, NULL);
    free(raw);
    free(rows);
    fclose(f);
    *channels = c;
    *height = h;
    *width = w;
    *chw = out;
    return XAI_OK;
}

xai_status xai_png_write(const char *path, uint32_t width, uint32_t height,
                         uint32_t channels, const uint8_t *pixels)
{
    if (channels < 1 || channels > 4 || width == 0 || height == 0)
        return xai_fail(XAI_ERR_INVALID, "%s: cannot write a %ux%u image with %u channels",
                        path, width, height, channels);
    xai_outfile *out;
    XAI_TRY(xai_outfile_open(path, &out));
    xai_status s = xai_png_write_to(out, width, height, channels, pixels);
    if (s != XAI_OK) {
        xai_outfile_abort(out);
        return s;
    }
    return xai_outfile_commit(out);
}

xai_status xai_png_write_to(xai_outfile *out, uint32_t width, uint32_t height,
                            uint32_t channels, const uint8_t *pixels)
{
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
    const char *path = xai_outfile_path(out);
    if (channels < 1 || channels > 4 || width == 0 || height == 0)
        return xai_fail(XAI_ERR_INVALID, "%s: cannot write a %ux%u image with %u channels",
                        path, width, height, channels);
    FILE *f = xai_outfile_stream(out);
    png_err err = {{0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err,
                                              on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return xai_fail(XAI_ERR_IO, "%s: cannot write PNG: %s", path,
                        err.msg[0] ? err.msg : "out of memory");
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, width, height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, pixels + (size_t)y * width * channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return XAI_OK;
}
