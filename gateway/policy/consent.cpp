// Placeholder translation unit; the decision logic lands in the next commit.
#include "gateway/policy/consent.hpp"
