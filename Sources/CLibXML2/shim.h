#ifndef STAGECRAFT_CLIBXML2_SHIM_H
#define STAGECRAFT_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU; its UErrorCode clashes with Foundation's in a module that imports both. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>

/* xmlFree is a global function pointer, which Swift 6 will not read from concurrent code; this wrapper reads it. */
static inline void stagecraft_xml_free(void *p) { xmlFree(p); }

#endif
