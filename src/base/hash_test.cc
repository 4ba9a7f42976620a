#include <gtest/gtest.h>

#include "base/hash.h"
