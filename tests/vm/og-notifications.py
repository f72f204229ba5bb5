#!/usr/bin/python3
"""A small desktop notification server for the VM scenarios: owns
org.freedesktop.Notifications on the session bus and appends each Notify
call to FILE as one JSON line (app, summary, body, urgency, sender uid)."""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

OUT = sys.argv[1]


class Notifications(dbus.service.Object):
    def __init__(self, bus):
        self.bus = bus
        self.last = 0
        super().__init__(dbus.service.BusName("org.freedesktop.Notifications", bus),
                         "/org/freedesktop/Notifications")

    @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i",
                         out_signature="u", sender_keyword="sender")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout, sender=None):
        self.last += 1
        uid = self.bus.get_unix_user(sender)
        with open(OUT, "a") as f:
            f.write(json.dumps({"app": str(app), "summary": str(summary), "body": str(body),
                                "urgency": int(hints.get("urgency", -1)), "uid": int(uid)}) + "\n")
        return self.last

    @dbus.service.method("org.freedesktop.Notifications", out_signature="as")
    def GetCapabilities(self):
        return ["body"]

    @dbus.service.method("org.freedesktop.Notifications", out_signature="ssss")
    def GetServerInformation(self):
        return ("og-notifications", "oomguard tests", "1", "1.2")


DBusGMainLoop(set_as_default=True)
Notifications(dbus.SessionBus())
open(OUT, "a").close()
GLib.MainLoop().run()
