/* A freestanding-style C consumer that finds the header through pkg-config. */
#include <svsm_spec.h>

int main(void) {
  uint64_t entry = 0;
  entry = svsm_pvalidate_entry_set_action(entry, 1);
  return (SVSM_CORE_CALL(SVSM_CORE_QUERY_PROTOCOL) == 6 && entry == 4) ? 0 : 1;
}
