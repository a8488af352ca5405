-- AlterTable
ALTER TABLE "calendars" ADD COLUMN     "busy_synced" TIMESTAMPTZ(3),
ADD COLUMN     "feed_salt" TEXT;

-- CreateTable
CREATE TABLE "google_calendar_connections" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "refresh_token_sealed" TEXT NOT NULL,
    "email" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "google_calendar_connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calendar_busy_times" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "calendar_id" TEXT NOT NULL,
    "google_calendar_id" TEXT NOT NULL,
    "busy_start" TIMESTAMPTZ(3) NOT NULL,
    "busy_end" TIMESTAMPTZ(3) NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "calendar_busy_times_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "google_calendar_connections_user_id_key" ON "google_calendar_connections"("user_id");

-- CreateIndex
CREATE INDEX "google_calendar_connections_platform_id_mode_idx" ON "google_calendar_connections"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "calendar_busy_times_calendar_id_busy_start_idx" ON "calendar_busy_times"("calendar_id", "busy_start");

-- CreateIndex
CREATE INDEX "calendar_busy_times_platform_id_mode_idx" ON "calendar_busy_times"("platform_id", "mode");

-- AddForeignKey
ALTER TABLE "google_calendar_connections" ADD CONSTRAINT "google_calendar_connections_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calendar_busy_times" ADD CONSTRAINT "calendar_busy_times_calendar_id_fkey" FOREIGN KEY ("calendar_id") REFERENCES "calendars"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Row-level security on the new tenant tables, as on the others (docs/tenancy.md).
ALTER TABLE "google_calendar_connections" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "google_calendar_connections" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "google_calendar_connections" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "google_calendar_connections" TO candle_system USING (true) WITH CHECK (true);
ALTER TABLE "calendar_busy_times" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "calendar_busy_times" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "calendar_busy_times" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "calendar_busy_times" TO candle_system USING (true) WITH CHECK (true);
