#include <fake_xen.h>
