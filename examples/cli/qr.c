/* `share --qr`: the Share URL as a QR code drawn with UTF-8 half blocks, two module rows per
 * text line, so a phone camera can read it straight off the terminal. */
#include "cli.h"

#include <qrencode.h>

#define QUIET_ZONE 2 /* modules of margin; scanners need some light border */

/* Light modules are drawn as blocks: on the usual dark terminal background that gives dark
 * modules on a light field, the polarity every scanner reads. */
static int light(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return 1;
    return !(qr->data[y * qr->width + x] & 1);
}

int cli_print_qr(FILE *out, const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (qr == NULL)
        return -1;
    for (int y = -QUIET_ZONE; y < qr->width + QUIET_ZONE; y += 2) {
        for (int x = -QUIET_ZONE; x < qr->width + QUIET_ZONE; x++) {
            int top = light(qr, x, y), bottom = light(qr, x, y + 1);
            fputs(top && bottom ? "\xe2\x96\x88"      /* U+2588 full block */
                  : top         ? "\xe2\x96\x80"      /* U+2580 upper half */
                  : bottom      ? "\xe2\x96\x84"      /* U+2584 lower half */
                                : " ", out);
        }
        fputc('\n', out);
    }
    fflush(out);
    QRcode_free(qr);
    return 0;
}
