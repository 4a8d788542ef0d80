/* tests/test_csv.c: CSV loading on real subsets and malformed files.  Expected
 * values come from the files themselves (read independently with sscanf). */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xai/xai.h>

#define BAD "tests/fixtures/data/bad/"
#define GERMAN "tests/fixtures/data/german_head.csv"
#define AGE 44 /* 0-based feature index of "age" in its header */

static void german_subset_loads(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv(GERMAN, &o, &d), XAI_OK);
    assert_int_equal(xai_dataset_rows(d), 20);
    assert_int_equal(xai_dataset_features(d), 61);
    assert_string_equal(xai_dataset_feature_name(d, 0), "checking-account_1");
    assert_string_equal(xai_dataset_label_name(d), "credit-risk");
    assert_int_equal(xai_dataset_feature_index(d, "age"), AGE);
    assert_int_equal(xai_dataset_group_count(d), 61); /* no grouping asked */

    /* independent read of the same file: every value and label */
    FILE *f = fopen(GERMAN, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    double sum_age = 0, sumsq_age = 0;
    for (size_t i = 0; i < 20; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        char *p = line;
        for (size_t j = 0; j < 62; j++) {
            double v = strtod(p, &p);
            p++; /* comma */
            if (j < 61)
                assert_float_equal(xai_dataset_row(d, i)[j], v, 0);
            else
                assert_float_equal(xai_dataset_labels(d)[i], v, 0);
            if (j == AGE) {
                sum_age += v;
                sumsq_age += v * v;
            }
        }
    }
    fclose(f);
    const xai_column_stats *st = xai_dataset_stats(d, AGE);
    double mean = sum_age / 20;
    assert_float_equal(st->mean, mean, 1e-9);
    assert_float_equal(st->std, sqrt(sumsq_age / 20 - mean * mean), 1e-6);
    assert_true(st->min <= mean && st->max >= mean);
    xai_dataset_free(d);
}

static void german_auto_groups(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.label = "credit-risk";
    o.groups_auto = 1;
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv(GERMAN, &o, &d), XAI_OK);
    /* count groups independently: distinct prefixes of the header */
    const uint32_t *g = xai_dataset_feature_groups(d);
    int64_t s1 = xai_dataset_feature_index(d, "checking-account_1");
    int64_t s4 = xai_dataset_feature_index(d, "checking-account_4");
    int64_t du = xai_dataset_feature_index(d, "duration-months");
    assert_true(s1 >= 0 && s4 >= 0 && du >= 0);
    assert_int_equal(g[s1], g[s4]);
    assert_string_equal(xai_dataset_group_name(d, g[s1]), "checking-account");
    assert_string_equal(xai_dataset_group_name(d, g[du]), "duration-months");
    assert_true(g[du] != g[s1]);
    /* every one-hot group has exactly one 1 per row */
    for (size_t i = 0; i < xai_dataset_rows(d); i++) {
        double ones = 0;
        for (int64_t j = s1; j <= s4; j++)
            ones += xai_dataset_row(d, i)[j];
        assert_float_equal(ones, 1.0, 0);
    }
    assert_true(xai_dataset_group_count(d) < 60);
    xai_dataset_free(d);
}

static void quoted_crlf(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.label = "label";
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv(BAD "crlf_quoted.csv", &o, &d), XAI_OK);
    assert_int_equal(xai_dataset_rows(d), 2);
    assert_string_equal(xai_dataset_feature_name(d, 0), "x, quoted");
    assert_float_equal(xai_dataset_row(d, 1)[1], 0.4f, 0);
    assert_float_equal(xai_dataset_labels(d)[1], 1.0f, 0);
    xai_dataset_free(d);
}

static void schema_groups(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.schema_path = BAD "ok4.schema";
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv(BAD "ok4.csv", &o, &d), XAI_OK);
    const uint32_t *g = xai_dataset_feature_groups(d);
    assert_int_equal(xai_dataset_group_count(d), 3);
    assert_int_equal(g[0], g[2]);
    assert_string_equal(xai_dataset_group_name(d, g[0]), "first");
    assert_string_equal(xai_dataset_group_name(d, g[1]), "x2");
    assert_string_equal(xai_dataset_group_name(d, g[3]), "second");
    xai_dataset_free(d);
}

static void image_rows_scaled(void **state)
{
    (void)state;
    xai_csv_options o = xai_csv_options_default();
    o.label = "digit";
    o.image_c = 1;
    o.image_h = 8;
    o.image_w = 8;
    o.scale = 16;
    xai_dataset *d;
    assert_int_equal(xai_dataset_load_csv("tests/fixtures/data/digits_head.csv", &o, &d), XAI_OK);
    uint32_t c, h, w;
    assert_int_equal(xai_dataset_image_shape(d, &c, &h, &w), 1);
    assert_int_equal(c * 100 + h * 10 + w, 188);
    assert_string_equal(xai_dataset_feature_name(d, 9), "0_1_1");
    for (size_t k = 0; k < 64; k++)
        assert_true(xai_dataset_row(d, 0)[k] >= 0 && xai_dataset_row(d, 0)[k] <= 1);
    /* first row's px_0_2 is 5 in the file */
    assert_float_equal(xai_dataset_row(d, 0)[2], 5.0f / 16, 0);
    xai_dataset_free(d);

    o.image_h = 7;
    assert_int_equal(xai_dataset_load_csv("tests/fixtures/data/digits_head.csv", &o, &d), XAI_ERR_SHAPE);
    assert_null(d);
    assert_string_equal(xai_last_error(),
                        "tests/fixtures/data/digits_head.csv: image shape 1,7,8 needs 56 "
                        "pixel columns, the file has 64");
}

typedef struct bad_case {
    const char *file, *label, *schema;
    xai_status status;
    const char *message;
} bad_case;

static const bad_case bad_cases[] = {
    {BAD "nonnumeric.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "nonnumeric.csv:3:2: column 'b': 'x7' is not a number"},
    {BAD "ragged.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "ragged.csv:3: 2 fields, but the header has 3 columns"},
    {BAD "empty.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "empty.csv: empty file (a header row is required)"},
    {BAD "header_only.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "header_only.csv: header only, no data rows"},
    {BAD "duplicate.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "duplicate.csv:1:3: duplicate column name 'a' (also column 1)"},
    {BAD "nan.csv", NULL, NULL, XAI_ERR_NUMERIC,
     BAD "nan.csv:2:2: column 'b': 'nan' is not a finite number"},
    {BAD "inf.csv", NULL, NULL, XAI_ERR_NUMERIC,
     BAD "inf.csv:2:1: column 'a': '1e999' is not a finite number"},
    {BAD "empty_cell.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "empty_cell.csv:2:2: column 'b': empty cell"},
    /* the header spans lines 1-2, so the bad cell is on physical line 4 */
    {BAD "multiline.csv", NULL, NULL, XAI_ERR_PARSE,
     BAD "multiline.csv:4:3: column 'c': 'oops' is not a number"},
    {GERMAN, "nope", NULL, XAI_ERR_INVALID,
     GERMAN ":1: no label column named 'nope'"},
    {BAD "missing.csv", NULL, NULL, XAI_ERR_IO,
     BAD "missing.csv: cannot open: No such file or directory"},
    {BAD "ok4.csv", NULL, BAD "unknown.schema", XAI_ERR_PARSE,
     BAD "unknown.schema:1: no feature column named 'nope'"},
    {BAD "ok4.csv", NULL, BAD "twice.schema", XAI_ERR_PARSE,
     BAD "twice.schema:2: column 'x1' is already in group 'g'"},
};

static void malformed_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *c = &bad_cases[i];
        xai_csv_options o = xai_csv_options_default();
        o.label = c->label;
        o.schema_path = c->schema;
        xai_dataset *d = (xai_dataset *)&o; /* must be reset to NULL */
        xai_status s = xai_dataset_load_csv(c->file, &o, &d);
        print_message("%s -> %s\n", c->file, xai_last_error());
        assert_int_equal(s, c->status);
        assert_null(d);
        assert_string_equal(xai_last_error(), c->message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(german_subset_loads), cmocka_unit_test(german_auto_groups),
        cmocka_unit_test(quoted_crlf),         cmocka_unit_test(schema_groups),
        cmocka_unit_test(image_rows_scaled),   cmocka_unit_test(malformed_files),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
