# The sandbox's first and only trusted code: it lowers the limits (hard and
# soft, so the user's code cannot raise them), runs the user's code, and
# sends back the files it wrote as a tar stream on fd 3. Whatever arrives
# on fd 3 is treated by the bot as untrusted: the user's code could have
# written those files anyway.
import json, os, resource, stat, sys, tarfile, traceback

limits = json.loads(sys.argv[1])
for name, value in limits.items():
    resource.setrlimit(getattr(resource, name), (value, value))

out = os.fdopen(3, "wb")
os.chdir("/work")
work_dev = os.stat("/work").st_dev
sys.argv = ["main.py"]
sys.path.insert(0, "/work")

code = open("/sandbox/main.py", encoding="utf-8", errors="replace").read()
globs = {"__name__": "__main__", "__file__": "/work/main.py", "__builtins__": __builtins__}
status = 0
try:
    exec(compile(code, "main.py", "exec"), globs)
except SystemExit as e:
    status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
except BaseException as e:
    status = 1
    # The traceback of the user's code only, without this runner's frame.
    traceback.print_exception(type(e), e, e.__traceback__.tb_next)

try:
    sys.stdout.flush()
    sys.stderr.flush()
except Exception:
    pass

try:
    # Figures drawn but never saved (plt.show() does nothing headless) are
    # saved, so a chart comes back without the code having to ask.
    plt = sys.modules.get("matplotlib.pyplot")
    pictures = (".png", ".jpg", ".jpeg", ".svg", ".pdf", ".webp", ".gif")
    wrote_picture = any(
        f.lower().endswith(pictures) and os.lstat(f).st_dev == work_dev for f in os.listdir("/work")
    )
    if plt is not None and not wrote_picture:
        for num in plt.get_fignums():
            plt.figure(num).savefig("figure-%d.png" % num)
except Exception:
    traceback.print_exc()

try:
    with tarfile.open(fileobj=out, mode="w|") as tar:
        for root, dirs, files in os.walk("/work"):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(root, f)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                # Only regular files written here: not links, not the
                # user's files mounted in read-only.
                if not stat.S_ISREG(st.st_mode) or st.st_dev != work_dev:
                    continue
                tar.add(p, arcname=os.path.relpath(p, "/work"), recursive=False)
except Exception:
    traceback.print_exc()
out.close()
# Exit statuses above 127 are the bot's sign of a signal: clamp the code's.
os._exit(status if isinstance(status, int) and 0 <= status < 128 else 1)
