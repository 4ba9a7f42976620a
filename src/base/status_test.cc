#include <gtest/gtest.h>

#include "base/status.h"
