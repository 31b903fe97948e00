#ifndef STAGECRAFT_CMALLOC_SHIM_H
#define STAGECRAFT_CMALLOC_SHIM_H

/* glibc's malloc.h, which Swift's Glibc module leaves out: the heap's own account of what it holds (mallinfo2),
   a fixed mmap threshold (mallopt) and giving free pages back (malloc_trim). Elsewhere these report nothing. */
#include <stddef.h>
#if defined(__has_include)
#if __has_include(<malloc.h>) && __has_include(<gnu/libc-version.h>)
#include <features.h>
#include <malloc.h>
#define STAGECRAFT_GLIBC_MALLOC 1
/* mallinfo2 came with glibc 2.33; before it, mallinfo's int fields wrap past 2 GB, so nothing is reported. */
#if __GLIBC_PREREQ(2, 33)
#define STAGECRAFT_GLIBC_MALLINFO2 1
#endif
#endif
#endif

/* Bytes the program holds from malloc (heap chunks in use and mmapped blocks), and free bytes malloc keeps. Both 0
   without glibc 2.33 or later. mallinfo2 takes each arena's lock and walks its free lists: for a scrape, not a request. */
static inline void stagecraft_heap_usage(size_t *in_use, size_t *kept_free) {
#ifdef STAGECRAFT_GLIBC_MALLINFO2
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *kept_free = info.fordblks;
#else
    *in_use = 0;
    *kept_free = 0;
#endif
}

/* Buffers of at least `bytes` come from mmap and are unmapped when freed. */
static inline void stagecraft_heap_mmap_threshold(int bytes) {
#ifdef STAGECRAFT_GLIBC_MALLOC
    mallopt(M_MMAP_THRESHOLD, bytes);
#endif
}

/* Gives the heap's free pages back to the system. */
static inline void stagecraft_heap_trim(void) {
#ifdef STAGECRAFT_GLIBC_MALLOC
    malloc_trim(0);
#endif
}

#endif
