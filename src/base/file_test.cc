#include <gtest/gtest.h>

#include "base/file.h"
