/* sd_notify(3) over $NOTIFY_SOCKET; see sdnotify.h. */
#include "sdnotify.h"


#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int
sdnotify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	size_t			 plen;
	ssize_t			 n;
	int			 fd;

	if (path == NULL || *path == '\0')
		return KC_OK;
	/* A path, or "@name" for an abstract socket. */
	if ((*path != '/' && *path != '@') ||
	    (plen = strlen(path)) >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET is not a socket path; service "
		    "manager not notified");
		return KC_ERR_IO;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot notify the service manager");
		return KC_ERR_IO;
	}
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	if (n != (ssize_t)strlen(state)) {
		log_warn("cannot notify the service manager");
		close(fd);
		return KC_ERR_IO;
	}
	close(fd);
	return KC_OK;
}
