/**
 * @file tier.h
 * @brief The libtier umbrella header: include this one header to use the whole stable API.
 *
 * libtier turns transaction logs and customer attributes into behaviour features, scores
 * customers with pluggable strategies, assigns ordered tiers with a rule language and
 * summarises the result. See common.h for the conventions every function follows.
 */
#ifndef TIER_TIER_H
#define TIER_TIER_H

#include "common.h"
#include "dataset.h"
#include "csv.h"
#include "scorer.h"
#include "rfm.h"
#include "ahp.h"
#include "rules.h"
#include "assignment.h"
#include "summary.h"
#include "kmeans.h"
#include "clv.h"
#include "churn.h"
#include "lifecycle.h"
/* @umbrella-includes (one line per header; helpers add theirs here) */

#endif /* TIER_TIER_H */
