/*
 * auth — turns the credential of a request into a principal. API tokens
 * arrive as "Explo-Authorization: Token …" or "Authorization: Bearer …";
 * admin keys as "Authorization: Bearer visadm_…". A credential that is
 * missing, malformed, unknown, expired or revoked is a 401.
 */
#ifndef VISOR_AUTH_H
#define VISOR_AUTH_H

#include "req.h"

bool auth_token(struct req *r) MUST_CHECK;
bool auth_admin(struct req *r) MUST_CHECK;

#endif
