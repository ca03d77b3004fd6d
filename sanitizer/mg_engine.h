/*
 * mg_engine.h - what the engine's own files share about a
 * mugaika_engine (mg_sanitize.c owns the struct).
 */
#ifndef MG_ENGINE_H
#define MG_ENGINE_H

#include "mg_policy.h"
#include "mugaika.h"

struct mg_scan_engine;

const struct mg_policy *mg_engine_policy(const mugaika_engine *e);
struct mg_scan_engine *mg_engine_scan(const mugaika_engine *e);

#endif
