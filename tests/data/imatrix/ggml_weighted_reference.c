// Reference outputs of ggml's importance-weighted quantizers for qforge's tests.
// usage: imx F32.gguf OUTDIR tensor...   writes OUTDIR/<importance>.<type>.<tensor>.bin: the bytes
// ggml_quantize_chunk(type, W, out, 0, rows, cols, imp) returns, for two importance vectors:
//   ones: imp[j] = 1
//   hash: h = (j * 2654435761u) >> 24 (0..255); imp[j] = h < 8 ? 0 : (h + 1) / 64.0f
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "gguf.h"

static void importance(const char* kind, float* imp, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    if (strcmp(kind, "ones") == 0) { imp[j] = 1.0f; continue; }
    const uint32_t h = ((uint32_t)j * 2654435761u) >> 24;
    imp[j] = h < 8 ? 0.0f : (float)(h + 1) / 64.0f;
  }
}

int main(int argc, char** argv) {
  struct ggml_context* ctx = NULL;
  struct gguf_init_params p = {.no_alloc = false, .ctx = &ctx};
  struct gguf_context* g = gguf_init_from_file(argv[1], p);
  if (!g) { fprintf(stderr, "load failed\n"); return 1; }
  const char* names[] = {"Q4_0","Q4_1","Q5_0","Q5_1","Q2_K","Q3_K","Q4_K","Q5_K","Q6_K","IQ4_NL","Q8_0"};
  enum ggml_type types[] = {GGML_TYPE_Q4_0,GGML_TYPE_Q4_1,GGML_TYPE_Q5_0,GGML_TYPE_Q5_1,GGML_TYPE_Q2_K,GGML_TYPE_Q3_K,GGML_TYPE_Q4_K,GGML_TYPE_Q5_K,GGML_TYPE_Q6_K,GGML_TYPE_IQ4_NL,GGML_TYPE_Q8_0};
  const char* kinds[] = {"ones", "hash"};
  for (int a = 3; a < argc; ++a) {
    struct ggml_tensor* x = ggml_get_tensor(ctx, argv[a]);
    if (!x || x->type != GGML_TYPE_F32 || ggml_n_dims(x) != 2) { fprintf(stderr, "bad tensor %s\n", argv[a]); return 1; }
    const int64_t cols = x->ne[0], rows = x->ne[1];
    float* imp = malloc(sizeof(float) * cols);
    for (int k = 0; k < 2; ++k) {
      importance(kinds[k], imp, cols);
      for (int t = 0; t < 11; ++t) {
        const size_t bytes = ggml_row_size(types[t], cols) * rows;
        void* out = malloc(bytes);
        const size_t got = ggml_quantize_chunk(types[t], (const float*)x->data, out, 0, rows, cols, imp);
        if (got != bytes) { fprintf(stderr, "size mismatch\n"); return 1; }
        char path[512];
        snprintf(path, sizeof path, "%s/%s.%s.%s.bin", argv[2], kinds[k], names[t], argv[a]);
        FILE* f = fopen(path, "wb"); fwrite(out, 1, bytes, f); fclose(f);
        free(out);
      }
    }
    free(imp);
  }
  return 0;
}
