/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Standalone driver for the libFuzzer targets: runs
 * LLVMFuzzerTestOneInput once on each file named on the command line, or
 * on each file in a directory named there, so that the seed corpora run
 * as ordinary tests without libFuzzer.  Exits nonzero if a file cannot
 * be read; a target that finds a bug aborts.
 */

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        if (fp != NULL) {
            fclose(fp);
        }
        return -1;
    }
    /* An exact-size copy, as libFuzzer gives, so overreads show. */
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

static int run_dir(const char *dir, int *count)
{
    struct dirent *de;
    struct stat st;
    char path[4096];
    DIR *d = opendir(dir);
    int rv = 0;

    if (d == NULL) {
        fprintf(stderr, "%s: cannot open\n", dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name)
            >= sizeof(path) || stat(path, &st) != 0) {
            rv = -1;
            continue;
        }
        if (S_ISREG(st.st_mode)) {
            if (run_file(path) != 0) {
                rv = -1;
            }
            else {
                (*count)++;
            }
        }
    }
    closedir(d);
    return rv;
}

int main(int argc, char **argv)
{
    struct stat st;
    int i, count = 0, rv = 0;

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: not found\n", argv[i]);
            rv = 1;
        }
        else if (S_ISDIR(st.st_mode)) {
            if (run_dir(argv[i], &count) != 0) {
                rv = 1;
            }
        }
        else if (run_file(argv[i]) != 0) {
            rv = 1;
        }
        else {
            count++;
        }
    }
    printf("%s: %d input%s run\n", argv[0], count, count == 1 ? "" : "s");
    return rv;
}
