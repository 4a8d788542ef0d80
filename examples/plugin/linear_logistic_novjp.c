/* examples/plugin/linear_logistic_novjp.c: the same model as
 * linear_logistic.c without xai_plugin_vjp, so xai falls back to finite
 * differences (used by tests/test_plugin.c). */
#define LINEAR_LOGISTIC_NO_VJP
#include "linear_logistic.c"
