/* tier_summary_activity() enumerates (customer, purchase day) pairs through the dataset's own
 * iterator (lib/dataset.c owns the day sets and their layout). */
#include "internal/dataset.h"
#include "internal/summary.h"

int tier__dataset_foreach_purchase_day(const tier_dataset *ds,
                                       int (*fn)(void *user, size_t row, int32_t day),
                                       void *user)
{
    return tier__dataset_purchase_days(ds, fn, user);
}
