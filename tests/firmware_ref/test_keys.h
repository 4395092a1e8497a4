// A fixed P-384 key pair for the reference-SVSM tests (test data only; it protects nothing).
#pragma once

namespace svsm_ref::test_keys {

// Generated once with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`.
inline constexpr const char* kTestP384KeyPem = R"(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAJ/htz9UiXv1LGcy1Q
Env3RacI+QAyYUALueO9t8oJ/DxZvr+i99J44+Qg9Y/3RhuhZANiAAQQI1JZJ9Li
bVhS9lHmuhTtf3uyNHLkOOpUU1AMDvRqhFjpunVvs3LnOAx1AaX8UrC4T29nEWsM
+qcW18LmEH2zTxfvrvJh3HFUGQ5d0VKuM0jdDgkNurhw/7fo304cBr4=
-----END PRIVATE KEY-----
)";
// Its public key, from `openssl pkey -pubout`.
inline constexpr const char* kTestP384PublicKeyPem = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEECNSWSfS4m1YUvZR5roU7X97sjRy5Djq
VFNQDA70aoRY6bp1b7Ny5zgMdQGl/FKwuE9vZxFrDPqnFtfC5hB9s08X767yYdxx
VBkOXdFSrjNI3Q4JDbq4cP+36N9OHAa+
-----END PUBLIC KEY-----
)";

}  // namespace svsm_ref::test_keys
