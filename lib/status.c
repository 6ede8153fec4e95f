/* Status codes and version numbers: the bottom of the library (nothing here calls anything). */
#include "internal.h"

const char *tigress_strerror(int status)
{
    switch (status) {
#define TIGRESS_STRERROR_CASE_(name, value, msg) case (value): return (msg);
    TIGRESS_STATUS_MAP(TIGRESS_STRERROR_CASE_)
#undef TIGRESS_STRERROR_CASE_
    default:
        return status <= TIGRESS_E_USER_MIN ? "application callback error" : "unknown error";
    }
}

const char *tigress_status_name(int status)
{
    switch (status) {
#define TIGRESS_NAME_CASE_(name, value, msg) case (value): return "TIGRESS_" #name;
    TIGRESS_STATUS_MAP(TIGRESS_NAME_CASE_)
#undef TIGRESS_NAME_CASE_
    default:
        return status <= TIGRESS_E_USER_MIN ? "TIGRESS_E_USER" : "TIGRESS_E_UNKNOWN";
    }
}

unsigned int tigress_version_num(void)
{
    return TIGRESS_VERSION_NUM;
}

const char *tigress_version_string(void)
{
    return TIGRESS_VERSION_STRING;
}
