#include <gtest/gtest.h>

#include "base/thread_pool.h"
