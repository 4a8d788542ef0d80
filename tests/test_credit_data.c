/* tests/test_credit_data.c: the credit example's CSVs (examples/credit/data,
 * made by convert.py from the Statlog file) and feature-labels loading.
 *
 * The expected figures are those stated in the data's documentation
 * (../shared/data/german/CODES.md): 1000 rows, 700 good; good rate 0.51,
 * 0.61, 0.78, 0.88 for checking-account codes A11..A14.  The test counts
 * them itself on train.csv + test.csv. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xai/xai.h>

#include "support/shell.h"

#define TRAIN "examples/credit/data/train.csv"
#define TEST "examples/credit/data/test.csv"
#define LABELS "examples/credit/data/features.csv"

static xai_dataset *load(const char *path, const char *labels)
{
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    o.groups_auto = 1;
    o.feature_labels_path = labels;
    xai_dataset *d = NULL;
    xai_status s = xai_dataset_load_csv(path, &o, &d);
    if (s != XAI_OK)
        fail_msg("%s: %s", path, xai_last_error());
    return d;
}

/* Good rate per checking-account code over both files, and the split. */
static void check_figures(void **state)
{
    (void)state;
    const char *paths[2] = {TRAIN, TEST};
    size_t want_rows[2] = {800, 200}, n[4] = {0}, good[4] = {0}, all = 0, all_good = 0;
    for (int f = 0; f < 2; f++) {
        xai_dataset *d = load(paths[f], NULL);
        assert_int_equal(xai_dataset_rows(d), want_rows[f]);
        size_t file_good = 0;
        int64_t col[4];
        char name[32];
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "checking-account_%d", k + 1);
            col[k] = xai_dataset_feature_index(d, name);
            assert_true(col[k] >= 0);
        }
        for (size_t i = 0; i < xai_dataset_rows(d); i++) {
            const float *row = xai_dataset_row(d, i);
            float y = xai_dataset_labels(d)[i];
            assert_true(y == 0.0f || y == 1.0f);
            int set = -1, count = 0;
            for (int k = 0; k < 4; k++)
                if (row[col[k]] == 1.0f) {
                    set = k;
                    count++;
                } else {
                    assert_true(row[col[k]] == 0.0f);
                }
            assert_int_equal(count, 1);
            n[set]++;
            good[set] += y == 1.0f;
            file_good += y == 1.0f;
        }
        /* stratified: 70% good in each file */
        assert_int_equal(file_good * 10, want_rows[f] * 7);
        all += xai_dataset_rows(d);
        all_good += file_good;
        xai_dataset_free(d);
    }
    assert_int_equal(all, 1000);
    assert_int_equal(all_good, 700);
    const double want[4] = {0.51, 0.61, 0.78, 0.88};
    for (int k = 0; k < 4; k++)
        assert_float_equal((double)good[k] / (double)n[k], want[k], 0.005);
}

/* Every one-hot group has exactly one column set in every row, and the
 * named groups exist with their sizes (CODES.md, minus unused codes). */
static void groups_are_one_hot(void **state)
{
    (void)state;
    xai_dataset *d = load(TRAIN, LABELS);
    assert_int_equal(xai_dataset_features(d), 61);
    assert_int_equal(xai_dataset_group_count(d), 20);
    const struct { const char *name; size_t size; } want[] = {
        {"checking-account", 4}, {"credit-history", 5}, {"purpose", 10},
        {"savings", 5}, {"employment-since", 5}, {"personal-status-sex", 4},
        {"other-debtors", 3}, {"property", 4}, {"other-installment-plans", 3},
        {"housing", 3}, {"job", 4}, {"telephone", 2}, {"foreign-worker", 2},
        {"duration-months", 1}, {"credit-amount", 1}, {"installment-rate", 1},
        {"residence-since", 1}, {"age", 1}, {"existing-credits", 1},
        {"people-liable", 1}};
    const uint32_t *gof = xai_dataset_feature_groups(d);
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t g = 0;
        while (g < xai_dataset_group_count(d) &&
               strcmp(xai_dataset_group_name(d, g), want[w].name) != 0)
            g++;
        assert_true(g < xai_dataset_group_count(d));
        size_t size = 0;
        for (size_t j = 0; j < xai_dataset_features(d); j++) {
            size += gof[j] == g;
            assert_non_null(xai_dataset_feature_meaning(d, j));
        }
        assert_int_equal(size, want[w].size);
        for (size_t i = 0; i < xai_dataset_rows(d); i++) {
            const float *row = xai_dataset_row(d, i);
            size_t set = 0;
            for (size_t j = 0; j < xai_dataset_features(d); j++)
                set += gof[j] == g && row[j] == 1.0f;
            if (want[w].size > 1) {
                assert_int_equal(set, 1);
                int64_t c = xai_dataset_group_category(d, g, row);
                assert_true(c >= 0 && gof[c] == g && row[c] == 1.0f);
            } else {
                assert_int_equal(xai_dataset_group_category(d, g, row), -1);
            }
        }
    }
    xai_dataset_free(d);
}

/* The meanings: "no account" for A14, and the row's category by name. */
static void meanings(void **state)
{
    (void)state;
    xai_dataset *d = load(TEST, LABELS);
    int64_t j = xai_dataset_feature_index(d, "checking-account_4");
    assert_string_equal(xai_dataset_feature_meaning(d, (size_t)j), "no account");
    assert_string_equal(xai_dataset_feature_label(d, (size_t)j), "no account");
    j = xai_dataset_feature_index(d, "checking-account_1");
    assert_string_equal(xai_dataset_feature_meaning(d, (size_t)j), "< 0 DM");
    j = xai_dataset_feature_index(d, "purpose_10");
    assert_string_equal(xai_dataset_feature_meaning(d, (size_t)j), "other purpose");
    j = xai_dataset_feature_index(d, "age");
    assert_string_equal(xai_dataset_feature_meaning(d, (size_t)j), "age, years");
    /* the first test row: read its checking-account columns by hand */
    size_t g = xai_dataset_feature_groups(d)[xai_dataset_feature_index(d, "checking-account_1")];
    const float *row = xai_dataset_row(d, 0);
    int64_t c = xai_dataset_group_category(d, g, row);
    assert_true(c >= 0);
    assert_float_equal(row[c], 1.0f, 0);
    assert_non_null(strstr(xai_dataset_feature_name(d, (size_t)c), "checking-account_"));
    /* without a labels file: no meanings, the label is the column name */
    xai_dataset *plain = load(TEST, NULL);
    assert_null(xai_dataset_feature_meaning(plain, 0));
    assert_string_equal(xai_dataset_feature_label(plain, 0), "checking-account_1");
    xai_dataset_free(plain);
    xai_dataset_free(d);
}

/* A feature-labels file with a fault: error names the file and line, and
 * the dataset keeps its earlier labels. */
static void bad_labels(void **state)
{
    (void)state;
    static const struct { const char *text, *msg; } cases[] = {
        {"col,group,meaning\n", "/labels.csv:1: the header must be"},
        {"column,group,meaning\nno-such,x,y\n", "/labels.csv:2: no feature column named 'no-such'"},
        {"column,group,meaning\nage,age,years\nchecking-account_4,checking,none\n",
         "/labels.csv:3: column 'checking-account_4' is in group 'checking' here"},
        {"column,group,meaning\nage,,years\nage,age,again\n", "/labels.csv:3: column 'age' is listed twice"},
        {"column,group,meaning\nage,age\n", "/labels.csv:2: 2 fields, expected 3"},
        {"column,group,meaning\nage,age,\n", "/labels.csv:2: column 'age': empty meaning"},
        {"", "/labels.csv: empty file"},
    };
    xai_dataset *d = load(TEST, LABELS);
    char dir[] = "/tmp/xai_labels_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(cases[k].text, f);
        fclose(f);
        assert_int_equal(xai_dataset_load_feature_labels(d, path), XAI_ERR_PARSE);
        if (!strstr(xai_last_error(), cases[k].msg))
            fail_msg("case %zu: '%s' lacks '%s'", k, xai_last_error(), cases[k].msg);
        assert_string_equal(xai_dataset_feature_meaning(d, 0), "< 0 DM");
    }
    /* a quoted meaning with a comma, an empty group, a missing file */
    FILE *f = fopen(path, "w");
    fputs("column,group,meaning\nage,,\"age, in years\"\n", f);
    fclose(f);
    assert_int_equal(xai_dataset_load_feature_labels(d, path), XAI_OK);
    assert_string_equal(xai_dataset_feature_meaning(d, (size_t)xai_dataset_feature_index(d, "age")),
                        "age, in years");
    assert_null(xai_dataset_feature_meaning(d, 0)); /* replaced, not merged */
    remove(path);
    assert_int_equal(xai_dataset_load_feature_labels(d, path), XAI_ERR_IO);
    assert_non_null(strstr(xai_last_error(), path));
    rmdir(dir);
    xai_dataset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_figures),
        cmocka_unit_test(groups_are_one_hot),
        cmocka_unit_test(meanings),
        cmocka_unit_test(bad_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
