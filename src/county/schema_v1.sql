-- gridmap county database, schema version 1. `{srid}` is the county's working CRS.

CREATE TABLE gridmap.meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO gridmap.meta VALUES ('srid', '{srid}'), ('name', '');

CREATE TABLE gridmap.township (
    code text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    settings jsonb NOT NULL DEFAULT '{}',
    version bigint NOT NULL DEFAULT 1,
    synced_at timestamptz,
    synced_by text
);

-- Login role -> the township it writes (NULL for county and viewer accounts).
CREATE TABLE gridmap.account (
    rolname text PRIMARY KEY,
    township text REFERENCES gridmap.township (code) ON UPDATE CASCADE
);

CREATE TABLE gridmap.grid (
    township text NOT NULL REFERENCES gridmap.township (code) ON UPDATE CASCADE,
    id text NOT NULL,
    level smallint NOT NULL,
    parent text,
    code text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    households integer,
    population integer,
    notes text NOT NULL DEFAULT '',
    staff jsonb NOT NULL DEFAULT '[]',
    extra jsonb NOT NULL DEFAULT '{}',
    geom geometry(MultiPolygon, {srid}) NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    updated_by text NOT NULL DEFAULT session_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (township, id)
);
CREATE INDEX grid_geom ON gridmap.grid USING gist (geom);
CREATE INDEX grid_level ON gridmap.grid (level);

CREATE TABLE gridmap.feature (
    township text NOT NULL REFERENCES gridmap.township (code) ON UPDATE CASCADE,
    layer text NOT NULL CHECK (layer IN ('rivers', 'reservoirs', 'villages', 'boundary')),
    id text NOT NULL,
    name text NOT NULL DEFAULT '',
    households integer,
    population integer,
    extra jsonb NOT NULL DEFAULT '{}',
    geom geometry(Geometry, {srid}) NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    updated_by text NOT NULL DEFAULT session_user,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (township, layer, id),
    -- Each layer's geometry type, whoever writes (gridmap, QGIS, ogr2ogr).
    CONSTRAINT geometry_fits_layer CHECK (CASE layer
        WHEN 'rivers' THEN GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING')
        WHEN 'villages' THEN GeometryType(geom) = 'POINT'
        ELSE GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') END)
);
CREATE INDEX feature_geom ON gridmap.feature USING gist (geom);

-- Every version a push wrote over or discarded: nothing is lost.
CREATE TABLE gridmap.change_log (
    seq bigserial PRIMARY KEY,
    township text NOT NULL,
    layer text NOT NULL,
    id text NOT NULL,
    action text NOT NULL,
    version bigint,
    old jsonb,
    new jsonb,
    by text NOT NULL DEFAULT session_user,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_log_row ON gridmap.change_log (township, layer, id);

-- Group roles (cluster-wide; created once).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gridmap_county') THEN
        CREATE ROLE gridmap_county NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gridmap_township') THEN
        CREATE ROLE gridmap_township NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gridmap_viewer') THEN
        CREATE ROLE gridmap_viewer NOLOGIN;
    END IF;
END $$;

CREATE FUNCTION gridmap.my_township() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gridmap, pg_temp
    AS $$ SELECT township FROM gridmap.account WHERE rolname = session_user $$;

CREATE FUNCTION gridmap.is_county() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gridmap, pg_catalog, pg_temp
    AS $$ SELECT pg_has_role(session_user, 'gridmap_county', 'MEMBER')
              OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) $$;

-- A township's outline (its level-1 grid) is the county's: township accounts may change
-- its record but not its geometry or level, nor add or delete one.
CREATE FUNCTION gridmap.guard_outline() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF gridmap.is_county() THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.level = 1 THEN
            RAISE EXCEPTION 'gridmap: the township outline % is kept by the county', OLD.id
                USING ERRCODE = '42501';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.level = 1 THEN
            RAISE EXCEPTION 'gridmap: the township outline % is kept by the county', NEW.id
                USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END IF;
    IF (OLD.level = 1 OR NEW.level = 1)
       AND (NEW.level IS DISTINCT FROM OLD.level
            OR ST_AsBinary(NEW.geom) IS DISTINCT FROM ST_AsBinary(OLD.geom)) THEN
        RAISE EXCEPTION 'gridmap: the township outline % is kept by the county', NEW.id
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER guard_outline BEFORE INSERT OR UPDATE OR DELETE ON gridmap.grid
    FOR EACH ROW EXECUTE FUNCTION gridmap.guard_outline();

-- Row-level security: everyone with a gridmap role reads; townships write their own rows.
ALTER TABLE gridmap.grid ENABLE ROW LEVEL SECURITY;
ALTER TABLE gridmap.feature ENABLE ROW LEVEL SECURITY;
ALTER TABLE gridmap.township ENABLE ROW LEVEL SECURITY;
ALTER TABLE gridmap.change_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY read_all ON gridmap.grid FOR SELECT USING (true);
CREATE POLICY county_all ON gridmap.grid TO gridmap_county USING (true) WITH CHECK (true);
CREATE POLICY own_insert ON gridmap.grid FOR INSERT TO gridmap_township
    WITH CHECK (township = gridmap.my_township());
CREATE POLICY own_update ON gridmap.grid FOR UPDATE TO gridmap_township
    USING (township = gridmap.my_township()) WITH CHECK (township = gridmap.my_township());
CREATE POLICY own_delete ON gridmap.grid FOR DELETE TO gridmap_township
    USING (township = gridmap.my_township());

CREATE POLICY read_all ON gridmap.feature FOR SELECT USING (true);
CREATE POLICY county_all ON gridmap.feature TO gridmap_county USING (true) WITH CHECK (true);
CREATE POLICY own_insert ON gridmap.feature FOR INSERT TO gridmap_township
    WITH CHECK (township = gridmap.my_township());
CREATE POLICY own_update ON gridmap.feature FOR UPDATE TO gridmap_township
    USING (township = gridmap.my_township()) WITH CHECK (township = gridmap.my_township());
CREATE POLICY own_delete ON gridmap.feature FOR DELETE TO gridmap_township
    USING (township = gridmap.my_township());

CREATE POLICY read_all ON gridmap.township FOR SELECT USING (true);
CREATE POLICY county_all ON gridmap.township TO gridmap_county USING (true) WITH CHECK (true);
CREATE POLICY own_update ON gridmap.township FOR UPDATE TO gridmap_township
    USING (code = gridmap.my_township()) WITH CHECK (code = gridmap.my_township());

CREATE POLICY read_all ON gridmap.change_log FOR SELECT USING (true);
CREATE POLICY county_insert ON gridmap.change_log FOR INSERT TO gridmap_county WITH CHECK (true);
CREATE POLICY own_insert ON gridmap.change_log FOR INSERT TO gridmap_township
    WITH CHECK (township = gridmap.my_township());

GRANT USAGE ON SCHEMA gridmap TO gridmap_county, gridmap_township, gridmap_viewer;
GRANT SELECT ON ALL TABLES IN SCHEMA gridmap TO gridmap_county, gridmap_township, gridmap_viewer;
GRANT INSERT, UPDATE, DELETE ON gridmap.grid, gridmap.feature TO gridmap_county, gridmap_township;
GRANT INSERT, UPDATE, DELETE ON gridmap.township TO gridmap_county;
GRANT UPDATE (version, synced_at, synced_by, settings, name) ON gridmap.township TO gridmap_township;
GRANT INSERT ON gridmap.change_log TO gridmap_county, gridmap_township;
GRANT USAGE ON SEQUENCE gridmap.change_log_seq_seq TO gridmap_county, gridmap_township;
GRANT EXECUTE ON FUNCTION gridmap.my_township(), gridmap.is_county() TO gridmap_county, gridmap_township, gridmap_viewer;
