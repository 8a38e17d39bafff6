-- +goose NO TRANSACTION
-- +goose Up
-- Finding a case on a large history (docs/DESIGN.md §11.18): the words of
-- a description or a resident's name, a phone number, a case number or a
-- unit, each by an index, so a search costs the same on ten million cases
-- as on a thousand.
--
-- Words: Chinese has no spaces between words and most searches are two
-- characters (噪音, 漏水), too short for pg_trgm's trigrams. The text is
-- indexed by its single characters and pairs of characters (bigrams); a
-- query of two or more characters needs all its pairs, one character
-- needs itself, and ILIKE then checks the match. The index is on an
-- expression, so it follows every change of the text (the retention
-- schedule's anonymising too) with nothing to keep in step.
--
-- search_grams is written with the regular-expression functions, which run in C:
-- pairs starting at even places, pairs starting at odd places, and the
-- single characters; a set-returning loop over the characters was several
-- times slower, and building the index runs it once for every case.
-- Whitespace separates: a pair across it is two single characters.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_remove(
        string_to_array(regexp_replace(regexp_replace(lower(t), '\s+', ' ', 'g'), '(..)', '\1 ', 'g'), ' ')
        || string_to_array(regexp_replace(substr(regexp_replace(lower(t), '\s+', ' ', 'g'), 2), '(..)', '\1 ', 'g'), ' ')
        || regexp_split_to_array(lower(t), '\s*'), '')
$$;
-- +goose StatementEnd
-- What a query needs: the pairs of each whitespace-separated word, or the
-- word itself when it is a single character.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_query_grams(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM regexp_split_to_table(lower(q), '\s+') w,
        LATERAL (SELECT w WHERE char_length(w) = 1
            UNION ALL SELECT substr(w, i, 2) FROM generate_series(1, char_length(w) - 1) i) v(g)
    WHERE w <> ''
$$;
-- +goose StatementEnd
-- Phones are stored as typed (138 0013 0000, +86-138…): compared by their
-- digits, without China's country code.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION phone_digits(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN d ~ '^86[0-9]{11}$' THEN substr(d, 3) ELSE d END
    FROM regexp_replace(p, '[^0-9]', '', 'g') d
$$;
-- +goose StatementEnd
-- Built CONCURRENTLY, so that upgrading a large database does not stop the
-- front desk recording cases while it runs; a run cut short leaves an
-- invalid index, which the next run drops and builds again.
-- The index holds each case's day too (btree_gin), so that a search of
-- the last week reads the index entries of the last week only. The day is
-- counted from the epoch, as the time itself is, in no time zone: the
-- function is truly immutable, as an index needs.
CREATE EXTENSION IF NOT EXISTS btree_gin;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION intake_day(t timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT floor(extract(epoch FROM t) / 86400)::integer
$$;
-- +goose StatementEnd
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_words;
CREATE INDEX CONCURRENTLY case_intakes_words ON case_intakes
    USING gin (search_grams(description || ' ' || resident_name), intake_day(created_at));
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_phone;
-- Not partial: PostgreSQL keeps statistics of an index's expression only
-- for a whole-table index, and without them it guesses that a phone
-- number matches one case in two hundred, and walks the newest cases.
CREATE INDEX CONCURRENTLY case_intakes_phone ON case_intakes (phone_digits(resident_phone));
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_number_prefix;
CREATE INDEX CONCURRENTLY case_intakes_number_prefix ON case_intakes (number text_pattern_ops);
-- A search walks the newest intakes (a common word fills a page at once).
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_recent;
CREATE INDEX CONCURRENTLY case_intakes_recent ON case_intakes (kind, created_at DESC, number DESC);
DROP INDEX CONCURRENTLY IF EXISTS case_intakes_unit;
CREATE INDEX CONCURRENTLY case_intakes_unit ON case_intakes (unit_id);
DROP INDEX CONCURRENTLY IF EXISTS units_code;
CREATE INDEX CONCURRENTLY units_code ON units (lower(code));
DROP INDEX CONCURRENTLY IF EXISTS residents_phone_digits;
CREATE INDEX CONCURRENTLY residents_phone_digits ON residents (phone_digits(phone));

-- +goose Down
DROP INDEX IF EXISTS residents_phone_digits;
DROP INDEX IF EXISTS units_code;
DROP INDEX IF EXISTS case_intakes_unit;
DROP INDEX IF EXISTS case_intakes_recent;
DROP INDEX IF EXISTS case_intakes_number_prefix;
DROP INDEX IF EXISTS case_intakes_phone;
DROP INDEX IF EXISTS case_intakes_words;
DROP FUNCTION IF EXISTS phone_digits(text);
DROP FUNCTION IF EXISTS intake_day(timestamptz);
DROP FUNCTION IF EXISTS search_query_grams(text);
DROP FUNCTION IF EXISTS search_grams(text);
