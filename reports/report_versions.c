/* reports/report_versions.c: versions of the libraries this build runs
 * with, for the reproducibility appendix (run-time values where the library
 * offers them, else the version it was compiled against). */
#include "report_impl.h"

#include <cblas.h>
#include <csv.h>
#include <openssl/crypto.h>
#include <png.h>
#include <protobuf-c/protobuf-c.h>

void rp_library_versions(rp_buf *b)
{
    rp_printf(b, "xai %s\n", xai_version());
    rp_printf(b, "libharu (libhpdf) %s\n", xai_pdf_library_version());
    rp_printf(b, "%s\n", openblas_get_config());
    rp_printf(b, "libpng %s\n", png_get_libpng_ver(NULL));
    rp_printf(b, "protobuf-c %s\n", protobuf_c_version());
    rp_printf(b, "%s\n", OpenSSL_version(OPENSSL_VERSION));
    rp_printf(b, "libcsv %d.%d.%d\n", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
#ifdef __VERSION__
    rp_printf(b, "compiler gcc %s", __VERSION__);
#endif
}
