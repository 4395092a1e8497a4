// Code generators: one emitter per target language, each in its own source file
// (src/gen_<lang>.cc) with its own golden tests (tests/testdata/golden/<lang>/).
// Every generated file starts with a "generated, do not edit" header naming the spec
// files and kGeneratorVersion. Output is deterministic.
#pragma once

#include <vector>

#include "svsm_spec/generated_file.h"
#include "svsm_spec/model.h"

namespace svsm_spec {

// Freestanding C header for guest code: svsm_spec.h (only <stdint.h>/<stddef.h>).
std::vector<GeneratedFile> GenerateCHeader(const Spec& spec);

// no_std Rust module: svsm_spec.rs (compiles with plain rustc, no cargo).
std::vector<GeneratedFile> GenerateRustModule(const Spec& spec);

// C++20 codecs for the reference SVSM and the conformance runner: svsm_spec_codecs.h and
// svsm_spec_codecs.cc (namespace svsm_spec::codec::gen), on top of the hand-written
// svsm_spec/codec_runtime.h.
std::vector<GeneratedFile> GenerateCppCodecs(const Spec& spec);

}  // namespace svsm_spec
