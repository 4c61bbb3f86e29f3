/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MESSAGE_IDs of l3afd's journal entries, one per event class. Each has an
 * entry in systemd/l3afd.catalog; keep the two in step.
 */
#pragma once

#define L3AF_MSG_STARTED           "e05cc545c5a24353948fe9f7bbde4a01"
#define L3AF_MSG_STOPPED           "ef438da6934a4a0d916f73c6fc3ba0c1"
#define L3AF_MSG_CHAIN_APPLIED     "63470bf27ebf49928b9fd27cb01a8e2b"
#define L3AF_MSG_CHAIN_FAILED      "608e4dedbc8244d8b167903e4ce6310a"
#define L3AF_MSG_CHAIN_REMOVED     "77a61cd0807a4435995472148f249ebb"
#define L3AF_MSG_CHAIN_ADOPTED     "c68c5437a2214431973671faf8e61945"
#define L3AF_MSG_CONFIG_INVALID    "3097388d5ea5462ea468e888e86875c4"
#define L3AF_MSG_RELOAD            "084f103f6fea4cb5820f00961d337095"
#define L3AF_MSG_FOREIGN_PROGRAM   "9ae394e0f2e641c1acf90e14dae77b2a"
#define L3AF_MSG_PACKAGE_VERIFIED  "728df747675446428f510467858f24d3"
#define L3AF_MSG_PACKAGE_REFUSED   "c6195e52acb04077bf1755bea0efe234"
#define L3AF_MSG_PACKAGE_INSECURE  "8904e4396a6c4de0ab63a92b7b342a84"
#define L3AF_MSG_INTERFACE_MISSING "4caa7927e2764528b6200ea5a366f2a9"
#define L3AF_MSG_CHAIN_RESTORED    "17b8ab6877f348708a0445cd50e22b0c"
#define L3AF_MSG_API_CHANGE        "a61aeaa860b14a77aed58040be975496"
