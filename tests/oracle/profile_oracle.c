/* What the Win32 profile API reads from INI files: a test oracle, run under
 * Wine (tests/oracle_test.cpp). For each file given, prints one JSON object per
 * line, UTF-8:
 *   {"file":"...","acp":1252,"sections":[{"name":"...","keys":[["key","value"],...]}],
 *    "asked":[["SECTION","KEY","value" or null,INT],...]}
 * The sections come from GetPrivateProfileSectionNamesW, each section's keys
 * from GetPrivateProfileStringW with a NULL key, each value from
 * GetPrivateProfileStringW; "asked" holds the names the caller asks for after
 * the file, as SECTION/KEY pairs (the empty key among them), null when absent,
 * and INT, what GetPrivateProfileIntW returns for the same name with the
 * default 777777 (printed unsigned: a negative number wraps).
 * Usage: profile_oracle.exe FILE [SECTION KEY]... -- FILE [SECTION KEY]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

static void put_json_string(const wchar_t* w, int len) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, len, NULL, 0, NULL, NULL);
  char* s = (char*)malloc((size_t)n + 1);
  WideCharToMultiByte(CP_UTF8, 0, w, len, s, n, NULL, NULL);
  putchar('"');
  for (int i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
  free(s);
}

static wchar_t* widen(const char* s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  wchar_t* w = (wchar_t*)malloc(sizeof(wchar_t) * (size_t)n);
  MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
  return w;
}

/* One call of the API into a buffer grown until the answer fits (the API
 * returns size - 1 or size - 2 when it was cut). */
typedef DWORD (*Query)(const wchar_t* section, const wchar_t* key, const wchar_t* fallback, wchar_t* buf, DWORD size,
                       const wchar_t* file);

static DWORD string_query(const wchar_t* section, const wchar_t* key, const wchar_t* fallback, wchar_t* buf, DWORD size,
                          const wchar_t* file) {
  return GetPrivateProfileStringW(section, key, fallback, buf, size, file);
}

static DWORD names_query(const wchar_t* section, const wchar_t* key, const wchar_t* fallback, wchar_t* buf, DWORD size,
                         const wchar_t* file) {
  (void)section, (void)key, (void)fallback;
  return GetPrivateProfileSectionNamesW(buf, size, file);
}

static wchar_t* grown(Query q, const wchar_t* section, const wchar_t* key, const wchar_t* fallback, const wchar_t* file,
                      DWORD* out_len) {
  for (DWORD size = 4096;; size *= 2) {
    wchar_t* buf = (wchar_t*)malloc(sizeof(wchar_t) * size);
    DWORD n = q(section, key, fallback, buf, size, file);
    if (n + 2 < size || size >= (1u << 26)) {
      *out_len = n;
      return buf;
    }
    free(buf);
  }
}

/* A value; NULL when the key is absent. */
static wchar_t* get_value(const wchar_t* section, const wchar_t* key, const wchar_t* file, DWORD* out_len) {
  static const wchar_t* absent = L"\x01kms-oracle-absent\x01";
  wchar_t* buf = grown(string_query, section, key, absent, file, out_len);
  if (key && wcscmp(buf, absent) == 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* A double-NUL-terminated list: the keys of `section`, or with NULL the section names. */
static wchar_t* get_list(const wchar_t* section, const wchar_t* file, DWORD* out_len) {
  return section ? grown(string_query, section, NULL, L"", file, out_len)
                 : grown(names_query, NULL, NULL, NULL, file, out_len);
}

int main(int argc, char** argv) {
  /* Arguments as UTF-8 (the test passes ASCII paths and names). */
  int i = 1;
  while (i < argc) {
    wchar_t* file = widen(argv[i++]);
    printf("{\"file\":");
    put_json_string(file, (int)wcslen(file));
    printf(",\"acp\":%u,\"sections\":[", GetACP());
    DWORD names_len = 0;
    wchar_t* names = get_list(NULL, file, &names_len);
    int first_section = 1;
    for (wchar_t* s = names; s < names + names_len && *s; s += wcslen(s) + 1) {
      printf("%s{\"name\":", first_section ? "" : ",");
      first_section = 0;
      put_json_string(s, (int)wcslen(s));
      printf(",\"keys\":[");
      DWORD keys_len = 0;
      wchar_t* keys = get_list(s, file, &keys_len);
      int first_key = 1;
      for (wchar_t* k = keys; k < keys + keys_len && *k; k += wcslen(k) + 1) {
        DWORD vlen = 0;
        wchar_t* v = get_value(s, k, file, &vlen);
        printf("%s[", first_key ? "" : ",");
        first_key = 0;
        put_json_string(k, (int)wcslen(k));
        putchar(',');
        if (v)
          put_json_string(v, (int)vlen);
        else
          printf("null");
        putchar(']');
        free(v);
      }
      printf("]}");
      free(keys);
    }
    free(names);
    printf("],\"asked\":[");
    int first_ask = 1;
    while (i + 1 < argc && strcmp(argv[i], "--") != 0) {
      wchar_t* section = widen(argv[i]);
      wchar_t* key = widen(argv[i + 1]);
      i += 2;
      DWORD vlen = 0;
      wchar_t* v = get_value(section, key, file, &vlen);
      printf("%s[", first_ask ? "" : ",");
      first_ask = 0;
      put_json_string(section, (int)wcslen(section));
      putchar(',');
      put_json_string(key, (int)wcslen(key));
      putchar(',');
      if (v)
        put_json_string(v, (int)vlen);
      else
        printf("null");
      printf(",%u]", GetPrivateProfileIntW(section, key, 777777, file));
      free(v);
      free(section);
      free(key);
    }
    printf("]}\n");
    if (i < argc && strcmp(argv[i], "--") == 0) ++i;
    free(file);
  }
  return 0;
}
