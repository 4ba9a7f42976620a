#include <gtest/gtest.h>

#include "base/time.h"
