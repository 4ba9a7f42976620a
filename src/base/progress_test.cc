#include <gtest/gtest.h>

#include "base/progress.h"
