-- gridmap county database, schema version 2, applied on top of version 1 by the admin
-- account (the tables' owner) inside the init transaction. `{srid}` is not used.
--
-- Version 1 trusted gridmap to write sane rows; any client (psql, QGIS, ogr2ogr) could write
-- whatever the row-level security let through. Version 2 makes the database itself hold:
--
--   1. geometry: non-empty, no empty part, finite coordinates (|c| <= 1e15), polygons
--      ST_IsValid (CHECK geom_ok on grid and feature);
--   2. staff: a JSON array of objects whose role, name and phone are strings when present
--      (CHECK staff_ok on grid);
--   3. updated_by, updated_at and version are the server's (BEFORE triggers), whatever the
--      client sends; township.version, synced_by and synced_at likewise;
--   4. the change log is written by triggers only (one row per insert, update and delete,
--      by = session_user), plus gridmap.log_discarded() for a version a push discarded;
--      nobody else may write it;
--   5. a grid a township account writes (any level but 1) may not reach outside its
--      township's outline, nor into another township's outline or level-2 grids, by more
--      than meta.seam_tolerance metres (deferred constraint triggers, checked at commit on
--      every insert and every update of the geometry, level or key; a record-only edit is
--      not re-checked).
--
-- The CHECK constraints are added NOT VALID: rows written before version 2 stay readable
-- (and in place) but cannot be written again, not even their other columns, until fixed.
-- Errors: 23514 (check_violation) for rules 1, 2 and 5, 42501 for writes to the change log
-- and log_discarded() for another township, 22023 for bad log_discarded() arguments.
--
-- The functions name PostGIS unqualified and set their search_path to pg_catalog, the
-- schema of the postgis extension (set at the end of this file), gridmap and pg_temp last.

INSERT INTO gridmap.meta VALUES ('seam_tolerance', '1.0') ON CONFLICT (key) DO NOTHING;

-- Nobody but the owner creates objects where the functions look their names up.
REVOKE CREATE ON SCHEMA gridmap FROM PUBLIC;
DO $$
DECLARE
    s text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
               WHERE e.extname = 'postgis');
BEGIN
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', s);
END $$;

-- ---------------------------------------------------------------------------------------
-- 1. Geometry.

-- True for a geometry every reader can use: a point, line or polygon (single or multi),
-- not empty and without empty parts, every coordinate (X, Y and any Z, M) finite and within
-- 1e15 (no projected CRS comes near; GEOS arithmetic stays far from overflow), and polygons
-- valid (ST_IsValid). False for NULL, other types (collections, curves, surfaces) and
-- anything else; never raises. PostgreSQL's NaN compares greater than every number, so
-- `abs(c) <= 1e15` is false for NaN and both infinities.
CREATE FUNCTION gridmap.geom_ok(g geometry) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
SELECT CASE
    WHEN g IS NULL THEN false
    WHEN GeometryType(g) NOT IN ('POINT', 'MULTIPOINT', 'LINESTRING', 'MULTILINESTRING',
                                 'POLYGON', 'MULTIPOLYGON') THEN false
    WHEN ST_IsEmpty(g) THEN false
    WHEN EXISTS (SELECT 1 FROM ST_Dump(g) d WHERE ST_IsEmpty(d.geom)) THEN false
    WHEN EXISTS (SELECT 1 FROM ST_DumpPoints(g) p
                 WHERE NOT (abs(ST_X(p.geom)) <= 1e15 AND abs(ST_Y(p.geom)) <= 1e15
                            AND coalesce(abs(ST_Z(p.geom)), 0) <= 1e15
                            AND coalesce(abs(ST_M(p.geom)), 0) <= 1e15)) THEN false
    WHEN GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON')
        THEN coalesce((ST_IsValidDetail(g)).valid, false)
    ELSE true
END $$;

ALTER TABLE gridmap.grid ADD CONSTRAINT geom_ok CHECK (gridmap.geom_ok(geom)) NOT VALID;
ALTER TABLE gridmap.feature ADD CONSTRAINT geom_ok CHECK (gridmap.geom_ok(geom)) NOT VALID;

-- ---------------------------------------------------------------------------------------
-- 2. Staff.

-- True for a JSON array of objects whose keys role, name and phone, where present, are
-- strings (other keys are free). JSON null is refused: gridmap reads these as strings and
-- fails on null, and writes all three as strings. Never raises.
CREATE FUNCTION gridmap.staff_ok(s jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, gridmap, pg_temp
    AS $$
SELECT CASE
    WHEN s IS NULL OR jsonb_typeof(s) <> 'array' THEN false
    ELSE NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(s) e(v)
        WHERE CASE
            WHEN jsonb_typeof(e.v) <> 'object' THEN true
            ELSE EXISTS (SELECT 1 FROM unnest(ARRAY['role', 'name', 'phone']) k(k)
                         WHERE e.v ? k.k AND jsonb_typeof(e.v -> k.k) <> 'string')
        END)
END $$;

ALTER TABLE gridmap.grid ADD CONSTRAINT staff_ok CHECK (gridmap.staff_ok(staff)) NOT VALID;

-- ---------------------------------------------------------------------------------------
-- 3. Stamps by the server.

-- The highest version a key ever had, from the change log (0 for none).
CREATE FUNCTION gridmap.logged_version(p_township text, p_layer text, p_id text) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
SELECT coalesce(max(version), 0) FROM gridmap.change_log
WHERE township = p_township AND layer = p_layer AND id = p_id $$;

-- updated_by, updated_at and version of grid and feature rows. An update raises the
-- version by one; an insert (or an update that changes the key) takes one more than the
-- key ever had, so a deleted and re-created key never repeats a version.
CREATE FUNCTION gridmap.stamp_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
DECLARE
    layer text := 'grids';
    same_key boolean := false;
BEGIN
    IF TG_TABLE_NAME = 'feature' THEN
        layer := NEW.layer;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF TG_TABLE_NAME = 'feature' THEN
            same_key := NEW.township = OLD.township AND NEW.layer = OLD.layer AND NEW.id = OLD.id;
        ELSE
            same_key := NEW.township = OLD.township AND NEW.id = OLD.id;
        END IF;
    END IF;
    NEW.updated_by := session_user;
    NEW.updated_at := now();
    IF same_key THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := gridmap.logged_version(NEW.township, layer, NEW.id) + 1;
        IF TG_OP = 'UPDATE' THEN
            NEW.version := greatest(NEW.version, OLD.version + 1);
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- Named to run after guard_outline (BEFORE triggers run in name order).
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON gridmap.grid
    FOR EACH ROW EXECUTE FUNCTION gridmap.stamp_row();
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON gridmap.feature
    FOR EACH ROW EXECUTE FUNCTION gridmap.stamp_row();

-- Every update of a township row is a push: its version goes up by one and synced_by,
-- synced_at are who and when, whatever the client sets (gridmap's own push sets exactly
-- that). The column grants of version 1 stay so that gridmap's UPDATE still runs.
CREATE FUNCTION gridmap.stamp_township() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.synced_by := session_user;
    NEW.synced_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER stamp BEFORE UPDATE ON gridmap.township
    FOR EACH ROW EXECUTE FUNCTION gridmap.stamp_township();

-- ---------------------------------------------------------------------------------------
-- 4. The change log, by triggers only.

-- A grid or feature row as gridmap's change log keeps it: {"attrs": {...}, "wkb": hex}.
CREATE FUNCTION gridmap.grid_json(r gridmap.grid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
SELECT jsonb_build_object(
    'attrs', jsonb_build_object(
        'code', r.code, 'name', r.name, 'level', r.level, 'parent', nullif(r.parent, ''),
        'households', r.households, 'population', r.population, 'notes', r.notes,
        'staff', r.staff, 'extra', r.extra),
    'wkb', encode(ST_AsBinary(r.geom, 'NDR'), 'hex')) $$;

CREATE FUNCTION gridmap.feature_json(r gridmap.feature) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
SELECT jsonb_build_object(
    'attrs', jsonb_build_object(
        'name', r.name, 'households', r.households, 'population', r.population,
        'extra', r.extra),
    'wkb', encode(ST_AsBinary(r.geom, 'NDR'), 'hex')) $$;

-- The reason a client gives for its writes: SET LOCAL gridmap.reason = 'conflict: mine'.
CREATE FUNCTION gridmap.reason() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT nullif(current_setting('gridmap.reason', true), '') $$;

-- One change_log row per row inserted, updated or deleted: action is the client's reason
-- if it gave one, else insert / update / delete; version the row's new version (its last
-- for a delete); by and at the session's user and the transaction's time. An update that
-- changes the key is logged as a delete of the old key and an insert of the new.
CREATE FUNCTION gridmap.log_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
DECLARE
    old_layer text := 'grids';
    new_layer text := 'grids';
    o jsonb;
    n jsonb;
    reason text := gridmap.reason();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF TG_TABLE_NAME = 'feature' THEN
            old_layer := OLD.layer;
            o := gridmap.feature_json(OLD);
        ELSE
            o := gridmap.grid_json(OLD);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF TG_TABLE_NAME = 'feature' THEN
            new_layer := NEW.layer;
            n := gridmap.feature_json(NEW);
        ELSE
            n := gridmap.grid_json(NEW);
        END IF;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (NEW.township, new_layer, NEW.id) IS DISTINCT FROM (OLD.township, old_layer, OLD.id) THEN
        INSERT INTO gridmap.change_log (township, layer, id, action, version, old, new, by, at)
        VALUES (OLD.township, old_layer, OLD.id, coalesce(reason, 'delete'), OLD.version,
                o, NULL, session_user, now()),
               (NEW.township, new_layer, NEW.id, coalesce(reason, 'insert'), NEW.version,
                NULL, n, session_user, now());
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO gridmap.change_log (township, layer, id, action, version, old, new, by, at)
        VALUES (OLD.township, old_layer, OLD.id, coalesce(reason, 'delete'), OLD.version,
                o, NULL, session_user, now());
    ELSE
        INSERT INTO gridmap.change_log (township, layer, id, action, version, old, new, by, at)
        VALUES (NEW.township, new_layer, NEW.id, coalesce(reason, lower(TG_OP)), NEW.version,
                o, n, session_user, now());
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON gridmap.grid
    FOR EACH ROW EXECUTE FUNCTION gridmap.log_change();
CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON gridmap.feature
    FOR EACH ROW EXECUTE FUNCTION gridmap.log_change();

-- A version a push discarded without writing it (a conflict resolved as "theirs", or the
-- local side of a merge): logged with the server's current version of the row (NULL if
-- none), by the session's user, now. County accounts log any township, township accounts
-- their own.
CREATE FUNCTION gridmap.log_discarded(township text, layer text, id text, action text,
                                      old jsonb, new jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
DECLARE
    v bigint;
BEGIN
    IF NOT (gridmap.is_county() OR log_discarded.township = gridmap.my_township()) THEN
        RAISE EXCEPTION 'gridmap: % may not write the change log of township %',
            session_user, log_discarded.township USING ERRCODE = '42501';
    END IF;
    IF log_discarded.township IS NULL OR log_discarded.id IS NULL
       OR log_discarded.layer IS NULL
       OR log_discarded.layer NOT IN ('grids', 'rivers', 'reservoirs', 'villages', 'boundary')
       OR coalesce(log_discarded.action, '') = ''
       OR coalesce(jsonb_typeof(log_discarded.old), 'object') <> 'object'
       OR coalesce(jsonb_typeof(log_discarded.new), 'object') <> 'object' THEN
        RAISE EXCEPTION 'gridmap: log_discarded needs a township, a layer (grids, rivers, reservoirs, villages, boundary), an id, an action and old/new as JSON objects or null'
            USING ERRCODE = '22023';
    END IF;
    IF log_discarded.layer = 'grids' THEN
        SELECT g.version INTO v FROM gridmap.grid g
        WHERE g.township = log_discarded.township AND g.id = log_discarded.id;
    ELSE
        SELECT f.version INTO v FROM gridmap.feature f
        WHERE f.township = log_discarded.township AND f.layer = log_discarded.layer
          AND f.id = log_discarded.id;
    END IF;
    INSERT INTO gridmap.change_log (township, layer, id, action, version, old, new, by, at)
    VALUES (log_discarded.township, log_discarded.layer, log_discarded.id, log_discarded.action,
            v, log_discarded.old, log_discarded.new, session_user, now());
END $$;

-- Nobody writes the change log but these functions (they run as its owner).
DROP POLICY county_insert ON gridmap.change_log;
DROP POLICY own_insert ON gridmap.change_log;
REVOKE ALL ON gridmap.change_log FROM PUBLIC, gridmap_county, gridmap_township, gridmap_viewer;
GRANT SELECT ON gridmap.change_log TO gridmap_county, gridmap_township, gridmap_viewer;
REVOKE ALL ON SEQUENCE gridmap.change_log_seq_seq
    FROM PUBLIC, gridmap_county, gridmap_township, gridmap_viewer;

-- ---------------------------------------------------------------------------------------
-- 5. Territory.

-- The seam tolerance in metres (meta.seam_tolerance; 1 if missing or not a number).
CREATE FUNCTION gridmap.seam_tolerance() RETURNS double precision
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, gridmap, pg_temp
    AS $$
SELECT coalesce((SELECT CASE WHEN value ~ '^\s*[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$'
                             THEN value::double precision END
                 FROM gridmap.meta WHERE key = 'seam_tolerance'), 1.0) $$;

-- Whether the polygonal part of g is wider than tol: it has area and a disc of diameter
-- more than tol fits in it (its inward buffer by tol / 2 is not empty; GEOS 3.11's
-- ST_MaximumInscribedCircle misplaces the centre of long L-shaped slivers, so the buffer is
-- the measure). Errors in GEOS propagate (the caller catches them).
CREATE FUNCTION gridmap.wider_than(g geometry, tol double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
SELECT CASE
    WHEN g IS NULL THEN false
    ELSE (SELECT CASE WHEN ST_IsEmpty(p) OR NOT ST_Area(p) > 0 THEN false
                      ELSE NOT ST_IsEmpty(ST_Buffer(p, -tol / 2)) END
          FROM (SELECT ST_CollectionExtract(g, 3) AS p) s)
END $$;

-- At commit, for each grid whose geometry, level or key a non-county session wrote (as it
-- stands then: skipped if gone, if now level 1, or if its geometry or level was written
-- again since, that write having its own check queued), level other than 1: its overlap
-- with any other township's outline or level-2 grid, and its part outside its own
-- township's outline (when it has one), must be no wider than the seam tolerance. A
-- comparison GEOS cannot make (with a geometry written before version 2 that is broken)
-- is skipped with a warning. Never raises but the 23514 of a violation.
CREATE FUNCTION gridmap.check_territory() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, gridmap, pg_temp
    AS $$
DECLARE
    cur record;
    o record;
    tol double precision;
    owns geometry[];
    own geometry;
    part geometry;
    bad boolean;
    howmuch double precision;
BEGIN
    -- (County sessions queue no events: see the trigger's WHEN.)
    SELECT g.level, g.geom INTO cur FROM gridmap.grid g
    WHERE g.township = NEW.township AND g.id = NEW.id;
    -- Gone, an outline, or its geometry or level written again since (that write's own
    -- check comes).
    IF NOT FOUND OR cur.level = 1 OR cur.level IS DISTINCT FROM NEW.level
       OR cur.geom IS DISTINCT FROM NEW.geom THEN
        RETURN NULL;
    END IF;
    tol := gridmap.seam_tolerance();

    -- Other townships' outlines and level-2 grids.
    FOR o IN SELECT t.township, t.id, t.geom FROM gridmap.grid t
             WHERE t.geom && cur.geom AND t.township <> NEW.township AND t.level IN (1, 2)
             ORDER BY t.level, t.township, t.id
    LOOP
        bad := false;
        BEGIN
            IF ST_Intersects(cur.geom, o.geom) THEN
                part := ST_Intersection(cur.geom, o.geom);
                bad := gridmap.wider_than(part, tol);
                IF bad THEN
                    howmuch := ST_Area(ST_CollectionExtract(part, 3));
                END IF;
            END IF;
        EXCEPTION WHEN internal_error OR data_exception THEN
            RAISE WARNING 'gridmap: grid % of township % not checked against grid % of township %: %',
                NEW.id, NEW.township, o.id, o.township, SQLERRM;
            bad := false;
        END;
        IF bad THEN
            RAISE EXCEPTION 'gridmap: grid % of township % overlaps township %''s grid % (% m², wider than % m)',
                NEW.id, NEW.township, o.township, o.id, round(howmuch::numeric, 1), tol
                USING ERRCODE = '23514';
        END IF;
    END LOOP;

    -- Its own township's outline.
    SELECT array_agg(t.geom ORDER BY t.id) INTO owns FROM gridmap.grid t
    WHERE t.township = NEW.township AND t.level = 1;
    IF owns IS NULL THEN
        RETURN NULL;
    END IF;
    bad := false;
    BEGIN
        own := CASE WHEN cardinality(owns) = 1 THEN owns[1] ELSE ST_Union(owns) END;
        IF NOT ST_Covers(own, cur.geom) THEN  -- (ST_Covers uses a prepared geometry; ST_CoveredBy does not)
            part := ST_Difference(cur.geom, own);
            bad := gridmap.wider_than(part, tol);
            IF bad THEN
                SELECT max(ST_Distance(p.geom, own)) INTO howmuch
                FROM ST_DumpPoints(ST_CollectionExtract(part, 3)) p;
            END IF;
        END IF;
    EXCEPTION WHEN internal_error OR data_exception THEN
        RAISE WARNING 'gridmap: grid % of township % not checked against its outline: %',
            NEW.id, NEW.township, SQLERRM;
        bad := false;
    END;
    IF bad THEN
        RAISE EXCEPTION 'gridmap: grid % of township % lies outside its outline by % m (more than % m wide)',
            NEW.id, NEW.township, round(howmuch::numeric, 2), tol
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;

-- The outlines and level-2 grids the check compares with, and each township's outline, by
-- indexes that hold only those (a township has thousands of grids, the county 100,000).
CREATE INDEX grid_geom_l12 ON gridmap.grid USING gist (geom) WHERE level IN (1, 2);
CREATE INDEX grid_outline ON gridmap.grid (township) WHERE level = 1;

-- The WHEN clauses are evaluated as the row is written: county writes queue nothing, nor
-- do updates that leave the geometry, level and key as they were (a record edit).
CREATE CONSTRAINT TRIGGER territory AFTER INSERT ON gridmap.grid
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.level IS DISTINCT FROM 1 AND NOT gridmap.is_county())
    EXECUTE FUNCTION gridmap.check_territory();
CREATE CONSTRAINT TRIGGER territory_update AFTER UPDATE ON gridmap.grid
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.level IS DISTINCT FROM 1
                       AND (NEW.geom IS DISTINCT FROM OLD.geom OR NEW.level IS DISTINCT FROM OLD.level
                            OR NEW.township IS DISTINCT FROM OLD.township OR NEW.id IS DISTINCT FROM OLD.id)
                       AND NOT gridmap.is_county())
    EXECUTE FUNCTION gridmap.check_territory();

-- ---------------------------------------------------------------------------------------
-- 6. The rest.

-- Trigger functions run whoever fires them; nobody calls them. log_discarded is for
-- county and township accounts.
REVOKE EXECUTE ON FUNCTION gridmap.stamp_row(), gridmap.stamp_township(), gridmap.log_change(),
    gridmap.check_territory(), gridmap.log_discarded(text, text, text, text, jsonb, jsonb),
    gridmap.logged_version(text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridmap.log_discarded(text, text, text, text, jsonb, jsonb)
    TO gridmap_county, gridmap_township;

-- Every function of the schema (version 1's too) looks PostGIS up where the extension is,
-- never first in a schema or temporary object the session controls.
DO $$
DECLARE
    s text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
               WHERE e.extname = 'postgis');
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'gridmap'::regnamespace AND p.prokind = 'f' LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, gridmap, pg_temp', f, s);
    END LOOP;
END $$;
