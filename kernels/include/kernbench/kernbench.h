/* Umbrella header of the kernbench kernels library. */
#ifndef KERNBENCH_H
#define KERNBENCH_H
#include "kernbench/isa.h"
#include "kernbench/problem.h"
#include "kernbench/registry.h"
#include "kernbench/status.h"
#include "kernbench/variant.h"
#endif
