/* backdoor/backdoor_impl.h: internals shared by the backdoor files. */
#ifndef XAI_BACKDOOR_IMPL_H
#define XAI_BACKDOOR_IMPL_H

#include <xai/backdoor.h>

/* The input size of the smoother's classifier. */
size_t backdoor_smoother_dim(const xai_smoother *s);

#endif
