/*
 * mg_scan.c - the libclamav engine: load and compile a signature database,
 * scan buffers in memory.
 *
 * Input: the signature database is trusted (the administrator put it
 * there); the bytes handed to mg_scan_buffer() are untrusted, and so is the
 * display name that goes with them (libclamav writes it into its own log
 * lines, which reach GLib's log only through mg_printable()).
 *
 * Limits: libclamav's own (CL_ENGINE_MAX_SCANSIZE, _FILESIZE, _RECURSION,
 * _FILES, _SCANTIME), taken from struct mg_limits.  They are only worth
 * setting together with CL_SCAN_HEURISTIC_EXCEEDS_MAX: without it a file
 * that hits one comes back clean.  With it libclamav reports the hit as a
 * "virus" named Heuristics.Limits.Exceeded.*, which this module turns into
 * MG_SCAN_LIMIT.  Measured with libclamav 1.4.6, and not fixed here:
 * a zip member larger than MaxFileSize is cut to that size (sometimes to
 * nothing) and scanned without any alert; RAR, PKWARE strong encryption
 * (encrypted central directory) and encrypted Office documents come back
 * clean.  The unpack and detect modules, which see those containers
 * first, must refuse them.
 *
 * Ownership: the caller owns the engine and frees it with
 * mg_scan_engine_free(); threat names returned are the caller's to
 * g_free().
 */
#include <errno.h>
#include <string.h>

#include <clamav.h>
#include <glib/gstdio.h>

#include "scan/mg_scan.h"
#include "util/mg_util.h"

/* The names libclamav gives its limit and encryption heuristics. */
#define LIMIT_PREFIX "Heuristics.Limits.Exceeded."
#define ENCRYPTED_PREFIX "Heuristics.Encrypted."
#define LIMIT_FILESIZE LIMIT_PREFIX "MaxFileSize"

struct mg_scan_engine {
	struct cl_engine *cl;
	struct cl_scan_options opts;
	guint64 max_filesize;
	struct mg_scan_db_info info;
};

/* What the callbacks learn during one scan (cl_scanmap_callback's
 * context argument). */
struct scan_ctx {
	char *first_name; /* first name libclamav reported, or NULL */
};

/*
 * The file name extensions cl_load reads in a directory (libclamav's
 * CLI_DBEXT, 1.4, YARA build).  Used only to tell an empty directory, on
 * which cl_load fails, from one whose files hold no signatures, and to
 * find the newest file.
 */
static const char *const db_extensions[] = {".db", ".hdb", ".hdu", ".fp",
    ".mdb", ".mdu", ".hsb", ".hsu", ".sfp", ".msb", ".msu", ".ndb", ".ndu",
    ".ldb", ".ldu", ".sdb", ".zmd", ".rmd", ".pdb", ".gdb", ".wdb", ".cbc",
    ".ftm", ".cfg", ".cvd", ".cld", ".cud", ".cdb", ".cat", ".crb", ".idb",
    ".ioc", ".yar", ".yara", ".pwdb", ".ign", ".ign2", ".imp", NULL};

G_DEFINE_QUARK(mg - scan - engine - error - quark, mg_scan_engine_error)

static gboolean
has_suffix_ci(const char *name, const char *suffix)
{
	gsize n = strlen(name), s = strlen(suffix);

	return n >= s && g_ascii_strcasecmp(name + n - s, suffix) == 0;
}

static gboolean
is_db_file_name(const char *name)
{
	guint i;

	for (i = 0; db_extensions[i] != NULL; i++)
		if (has_suffix_ci(name, db_extensions[i]))
			return TRUE;
	return FALSE;
}

/*
 * libclamav's log lines go to GLib's log instead of stderr, so that the
 * daemon's log handler sees them.  They are never fatal here (g_test makes
 * warnings fatal): whatever makes an engine or a scan fail is reported
 * through the return value as well.
 */
static void
clamav_log(
    enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
	g_autofree char *text = NULL;
	gsize n;

	if (msg == NULL)
		return;
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	text = mg_printable(msg, (gssize)n, 0);
	if (severity == CL_MSG_ERROR || severity == CL_MSG_WARN)
		g_message("libclamav: %s", text);
	else
		g_debug("libclamav: %s", text);
}

static gpointer
clamav_init_once(gpointer data)
{
	cl_set_clcb_msg(clamav_log);
	return GINT_TO_POINTER((int)cl_init(CL_INIT_DEFAULT));
}

static cl_error_t
clamav_init(void)
{
	static GOnce once = G_ONCE_INIT;

	return (cl_error_t)GPOINTER_TO_INT(
	    g_once(&once, clamav_init_once, NULL));
}

/*
 * Called once per alert (once per scan without CL_SCAN_GENERAL_ALLMATCHES).
 * cl_scanmap_callback does not always set its virname argument: for a
 * buffer over MaxFileSize, 1.4.6 returns CL_VIRUS with virname NULL and
 * names the alert only here.
 */
static void
on_virus_found(int fd, const char *virname, void *context)
{
	struct scan_ctx *c = context;

	if (c != NULL && c->first_name == NULL && virname != NULL)
		c->first_name = g_strdup(virname);
}

static void
note_file(struct mg_scan_db_info *info, const char *path, const char *name)
{
	GStatBuf st;
	struct cl_cvd *cvd;

	if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if ((gint64)st.st_mtime > info->newest_mtime)
		info->newest_mtime = (gint64)st.st_mtime;
	/* Only the official containers carry a version and a build time in
	 * their 512-byte header. */
	if (!has_suffix_ci(name, ".cvd") && !has_suffix_ci(name, ".cld"))
		return;
	if ((cvd = cl_cvdhead(path)) == NULL)
		return;
	if (cvd->version > info->version)
		info->version = cvd->version;
	if ((gint64)cvd->stime > info->build_time)
		info->build_time = (gint64)cvd->stime;
	cl_cvdfree(cvd);
}

/*
 * Fill the file-derived fields of `info`; returns the number of signature
 * files seen (for a plain file, 1 whatever its name: cl_load reads a file
 * named on its own by any name), or -1 for a directory that cannot be
 * read, which cl_load will then report.
 */
static int
survey_database(struct mg_scan_db_info *info, gboolean *is_dir_r)
{
	GDir *dir;
	const char *name;
	int files = 0;

	*is_dir_r = g_file_test(info->path, G_FILE_TEST_IS_DIR);
	if (!*is_dir_r) {
		note_file(info, info->path, info->path);
		return 1;
	}
	if ((dir = g_dir_open(info->path, 0, NULL)) == NULL)
		return -1;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *full = NULL;

		if (!is_db_file_name(name))
			continue;
		full = g_build_filename(info->path, name, NULL);
		if (!g_file_test(full, G_FILE_TEST_IS_REGULAR))
			continue;
		note_file(info, full, name);
		files++;
	}
	g_dir_close(dir);
	return files;
}

static gboolean
set_limit(struct mg_scan_engine *e, enum cl_engine_field f, guint64 v,
    guint64 max, const char *what, GError **err)
{
	cl_error_t rc;

	rc = cl_engine_set_num(e->cl, f, (long long)MIN(v, max));
	if (rc != CL_SUCCESS) {
		g_set_error(err, MG_SCAN_ENGINE_ERROR,
		    MG_SCAN_ENGINE_ERROR_INIT, "libclamav: cannot set %s: %s",
		    what, cl_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean
set_limits(struct mg_scan_engine *e, const struct mg_policy *p, GError **err)
{
	struct mg_limits l = p->limits;

	/* 0 means "no limit" to libclamav but "the default" to us. */
	mg_limits_apply_defaults(&l);
	e->max_filesize = MIN(l.scan_max_filesize, (guint64)G_MAXINT64);
	return set_limit(e, CL_ENGINE_MAX_SCANSIZE, l.scan_max_scansize,
	           G_MAXINT64, "scan_max_scansize", err) &&
	       set_limit(e, CL_ENGINE_MAX_FILESIZE, l.scan_max_filesize,
	           G_MAXINT64, "scan_max_filesize", err) &&
	       set_limit(e, CL_ENGINE_MAX_RECURSION, l.scan_max_recursion,
	           G_MAXUINT32, "scan_max_recursion", err) &&
	       set_limit(e, CL_ENGINE_MAX_FILES, l.scan_max_files, G_MAXUINT32,
	           "scan_max_files", err) &&
	       /* CL_ENGINE_MAX_SCANTIME counts milliseconds. */
	       set_limit(e, CL_ENGINE_MAX_SCANTIME,
	           (guint64)l.scan_max_time * 1000, G_MAXUINT32,
	           "scan_max_time", err);
}

/*
 * Every container parser; the heuristics that turn "not looked at in full"
 * into an alert.  Not set: CL_SCAN_GENERAL_ALLMATCHES (one name is enough
 * for a verdict, and it makes libclamav go on after the first hit),
 * CL_SCAN_MAIL_PARTIAL_MESSAGE (it stores message/partial fragments on disk
 * to join them across scans; a message/partial is the MIME walk's to
 * refuse), CL_SCAN_HEURISTIC_BROKEN and the data-loss-prevention ones.
 */
static void
set_options(struct cl_scan_options *o, const struct mg_policy *p)
{
	memset(o, 0, sizeof(*o));
	o->parse = ~0u;
	o->general = CL_SCAN_GENERAL_HEURISTICS;
	o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX |
	               CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
	               CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	if (p->heuristic_macros)
		o->heuristic |= CL_SCAN_HEURISTIC_MACROS;
	if (p->heuristic_phishing)
		o->heuristic |= CL_SCAN_HEURISTIC_PHISHING_SSL_MISMATCH |
		                CL_SCAN_HEURISTIC_PHISHING_CLOAK;
}

struct mg_scan_engine *
mg_scan_engine_new(const struct mg_policy *p, GError **err)
{
	g_autoptr(mg_scan_engine) e = NULL;
	unsigned int sigs = 0;
	gboolean is_dir;
	int files;
	cl_error_t rc;

	g_return_val_if_fail(p != NULL, NULL);
	g_return_val_if_fail(p->scan_database != NULL, NULL);

	if ((rc = clamav_init()) != CL_SUCCESS) {
		g_set_error(err, MG_SCAN_ENGINE_ERROR,
		    MG_SCAN_ENGINE_ERROR_INIT, "libclamav: cl_init: %s",
		    cl_strerror(rc));
		return NULL;
	}
	e = g_new0(struct mg_scan_engine, 1);
	e->info.path = g_strdup(p->scan_database);
	if ((e->cl = cl_engine_new()) == NULL) {
		g_set_error(err, MG_SCAN_ENGINE_ERROR,
		    MG_SCAN_ENGINE_ERROR_INIT,
		    "libclamav: cl_engine_new failed (out of memory)");
		return NULL;
	}
	if (!set_limits(e, p, err))
		return NULL;
	/*
	 * libclamav makes a directory for every scan, and files for what it
	 * extracts, under its tmpdir.  On a disk filesystem (ext4 mounted
	 * with discard: every rmdir waits for the device) that was most of a
	 * small mail's wall time; on a tmpfs it is nothing
	 * (docs/performance.md).
	 */
	if (p->scan_tmpdir != NULL && *p->scan_tmpdir != '\0') {
		if (g_mkdir_with_parents(p->scan_tmpdir, 0700) != 0 ||
		    cl_engine_set_str(e->cl, CL_ENGINE_TMPDIR,
		        p->scan_tmpdir) != CL_SUCCESS) {
			g_set_error(err, MG_SCAN_ENGINE_ERROR,
			    MG_SCAN_ENGINE_ERROR_INIT, "[scan] tmpdir %s: %s",
			    p->scan_tmpdir, g_strerror(errno));
			cl_engine_free(e->cl);
			g_free(e->info.path);
			g_free(e);
			return NULL;
		}
	}
	set_options(&e->opts, p);
	cl_engine_set_clcb_virus_found(e->cl, on_virus_found);

	/*
	 * cl_load fails on a directory with no signature file in it; that is
	 * the empty database, not a broken one.
	 */
	files = survey_database(&e->info, &is_dir);
	if (!(is_dir && files == 0)) {
		rc = cl_load(e->info.path, e->cl, &sigs, CL_DB_STDOPT);
		if (rc != CL_SUCCESS) {
			GStatBuf st;
			int saved = 0;

			if (g_stat(e->info.path, &st) != 0)
				saved = errno;
			g_set_error(err, MG_SCAN_ENGINE_ERROR,
			    MG_SCAN_ENGINE_ERROR_LOAD,
			    "cannot load signature database %s: %s%s%s",
			    e->info.path, cl_strerror(rc), saved ? ": " : "",
			    saved ? g_strerror(saved) : "");
			return NULL;
		}
	}
	e->info.signatures = sigs;
	if (sigs == 0 && !p->allow_empty_database) {
		g_set_error(err, MG_SCAN_ENGINE_ERROR,
		    MG_SCAN_ENGINE_ERROR_EMPTY,
		    "signature database %s holds no signatures: install "
		    "ClamAV's database there (freshclam) or signature files "
		    "of your own, or set [scan] allow_empty_database = yes to "
		    "scan with heuristics only",
		    e->info.path);
		return NULL;
	}
	if ((rc = cl_engine_compile(e->cl)) != CL_SUCCESS) {
		g_set_error(err, MG_SCAN_ENGINE_ERROR,
		    MG_SCAN_ENGINE_ERROR_COMPILE,
		    "cannot compile signature database %s: %s", e->info.path,
		    cl_strerror(rc));
		return NULL;
	}
	e->info.loaded_at = g_get_real_time() / G_USEC_PER_SEC;
	return g_steal_pointer(&e);
}

void
mg_scan_engine_free(struct mg_scan_engine *e)
{
	if (e == NULL)
		return;
	if (e->cl != NULL)
		cl_engine_free(e->cl);
	g_free(e->info.path);
	g_free(e);
}

const struct mg_scan_db_info *
mg_scan_engine_info(const struct mg_scan_engine *e)
{
	g_return_val_if_fail(e != NULL, NULL);
	return &e->info;
}

gint64
mg_scan_engine_age(const struct mg_scan_engine *e, gint64 now)
{
	g_return_val_if_fail(e != NULL, G_MAXINT64);
	if (e->info.build_time != 0)
		return now - e->info.build_time;
	if (e->info.newest_mtime != 0)
		return now - e->info.newest_mtime;
	return G_MAXINT64;
}

static enum mg_scan_result
classify(const char *threat)
{
	if (g_str_has_prefix(threat, LIMIT_PREFIX))
		return MG_SCAN_LIMIT;
	if (g_str_has_prefix(threat, ENCRYPTED_PREFIX))
		return MG_SCAN_ENCRYPTED;
	return MG_SCAN_VIRUS;
}

static enum mg_scan_result
finish(enum mg_scan_result r, const char *threat, char **threat_r)
{
	if (threat_r != NULL)
		*threat_r = r == MG_SCAN_CLEAN ? NULL : g_strdup(threat);
	return r;
}

enum mg_scan_result
mg_scan_buffer(struct mg_scan_engine *e, const void *data, gsize len,
    const char *name, char **threat_r)
{
	return mg_scan_buffer_opts(e, data, len, name, TRUE, threat_r);
}

enum mg_scan_result
mg_scan_buffer_opts(struct mg_scan_engine *e, const void *data, gsize len,
    const char *name, gboolean parse_mail, char **threat_r)
{
	struct cl_scan_options opts;
	struct scan_ctx ctx = {NULL};
	const char *virname = NULL;
	const char *threat;
	unsigned long int scanned = 0;
	enum mg_scan_result r;
	cl_fmap_t *map;
	cl_error_t rc;

	if (threat_r != NULL)
		*threat_r = NULL;
	g_return_val_if_fail(e != NULL, MG_SCAN_ERROR);
	g_return_val_if_fail(data != NULL || len == 0, MG_SCAN_ERROR);

	if (len == 0)
		return MG_SCAN_CLEAN;
	/* libclamav does not look at such a buffer either; it reports it
	 * only through the virus-found callback. */
	if ((guint64)len > e->max_filesize)
		return finish(MG_SCAN_LIMIT, LIMIT_FILESIZE, threat_r);

	if ((map = cl_fmap_open_memory(data, len)) == NULL)
		return finish(MG_SCAN_ERROR, cl_strerror(CL_EMEM), threat_r);
	opts = e->opts;
	if (!parse_mail)
		opts.parse &= ~(unsigned int)CL_SCAN_PARSE_MAIL;
	rc = cl_scanmap_callback(
	    map, name, &virname, &scanned, e->cl, &opts, &ctx);
	cl_fmap_close(map);

	threat = virname != NULL ? virname : ctx.first_name;
	switch (rc) {
	case CL_CLEAN:
		/* A callback that fired on a scan that ended clean would be a
		 * libclamav quirk; an alert is never dropped. */
		r = threat == NULL ? MG_SCAN_CLEAN : classify(threat);
		break;
	case CL_VIRUS:
		if (threat == NULL)
			threat = "Heuristics.Unnamed";
		r = classify(threat);
		break;
	/* Returned without EXCEEDS_MAX, which is always set; kept so that a
	 * limit can never fall through to "error" or "clean". */
	case CL_ETIMEOUT:
		threat = LIMIT_PREFIX "MaxScanTime";
		r = MG_SCAN_LIMIT;
		break;
	case CL_EMAXREC:
		threat = LIMIT_PREFIX "MaxRecursion";
		r = MG_SCAN_LIMIT;
		break;
	case CL_EMAXSIZE:
		threat = LIMIT_PREFIX "MaxScanSize";
		r = MG_SCAN_LIMIT;
		break;
	case CL_EMAXFILES:
		threat = LIMIT_PREFIX "MaxFiles";
		r = MG_SCAN_LIMIT;
		break;
	default:
		threat = cl_strerror(rc);
		r = MG_SCAN_ERROR;
		break;
	}
	r = finish(r, threat, threat_r);
	g_free(ctx.first_name);
	return r;
}

const char *
mg_scan_result_name(enum mg_scan_result r)
{
	switch (r) {
	case MG_SCAN_CLEAN:
		return "clean";
	case MG_SCAN_VIRUS:
		return "virus";
	case MG_SCAN_LIMIT:
		return "limit";
	case MG_SCAN_ENCRYPTED:
		return "encrypted";
	case MG_SCAN_ERROR:
		return "error";
	}
	return "unknown";
}
