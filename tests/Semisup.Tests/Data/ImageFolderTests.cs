using System.Runtime.InteropServices;
using Semisup.Data;
using SkiaSharp;

namespace Semisup.Tests.Data;

public class ImageFolderTests
{
    static readonly ImageShape Shape = new(3, 16);

    /// <summary>A colour per class and image, far apart, so every decoded image is told from every other.</summary>
    static SKColor Colour(int cls, int image) => new((byte)(40 * cls + 10), (byte)(60 * image + 5), (byte)(200 - 30 * cls));

    /// <summary>A layout with <paramref name="classes"/> labeled/ folders of <paramref name="perClass"/> 12×12 images
    /// (PNG and JPEG mixed), nested unlabeled images, and optionally validation/ and test/.</summary>
    static string MakeLayout(TempDir dir, string[] classes, int perClass = 2, bool evaluation = false, string name = "photos")
    {
        var root = dir[name];
        for (int c = 0; c < classes.Length; c++)
            for (int i = 0; i < perClass; i++)
                ImageFiles.Solid(Path.Combine(root, "labeled", classes[c], $"img{i}.png"), Colour(c, i));
        ImageFiles.Write(Path.Combine(root, "unlabeled", "a", "b", "deep.PNG"), 20, 10, (x, _) => x < 10 ? SKColors.Red : SKColors.Blue);
        ImageFiles.Solid(Path.Combine(root, "unlabeled", "top.jpg"), SKColors.Olive, format: SKEncodedImageFormat.Jpeg);
        if (evaluation)
            foreach (var part in new[] { "validation", "test" })
                for (int c = 0; c < classes.Length; c++) ImageFiles.Solid(Path.Combine(root, part, classes[c], "v.png"), Colour(c, 3));
        return root;
    }

    static ImageLoadOptions Options(TempDir dir) => new() { Shape = Shape, CacheDir = dir["cache"], Threads = 2 };

    static string[] CacheFiles(TempDir dir) => Directory.Exists(dir["cache"]) ? Directory.GetFiles(dir["cache"]) : [];

    [Fact]
    public void A_layout_loads_with_classes_in_ordinal_order_and_each_image_as_the_decoder_makes_it()
    {
        using var dir = new TempDir();
        // Ordinal order, as torchvision sorts: digits before capitals before small letters, "10" before "9".
        var root = MakeLayout(dir, ["b", "B", "a", "10", "9"], evaluation: true);
        File.WriteAllText(Path.Combine(root, "labeled", "a", "notes.txt"), "not an image");
        ImageFiles.Solid(Path.Combine(root, "labeled", ".thumbnails", "t.png"), SKColors.Black); // hidden: not a class
        ImageFiles.Solid(Path.Combine(root, "extras", "e.png"), SKColors.Black);
        var set = ImageFolder.Load(root, Options(dir));
        Assert.Equal(["10", "9", "B", "a", "b"], set.Classes);
        Assert.Equal([ImagePart.Labeled, ImagePart.Unlabeled, ImagePart.Validation, ImagePart.Test], set.Parts.Keys.Order());
        var labeled = set.Labeled!;
        Assert.Equal(10, labeled.Count);
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3, 4, 4], labeled.Labels);
        Assert.Equal("labeled/10/img0.png", labeled.Paths[0]);
        Assert.Equal(10L * 3 * 16 * 16, labeled.Pixels.LongLength);
        for (int i = 0; i < labeled.Count; i++)
            Assert.Equal(ImageDecoder.DecodeFile(Path.Combine(root, labeled.Paths[i]), Shape), labeled.Image(i).ToArray());
        // Class "a" was folder 0 on disk: its decoded colour is Colour(0, ·) whatever its label.
        Assert.Equal(Colour(0, 1).Red, labeled.Image(Array.IndexOf(labeled.Paths, "labeled/b/img1.png"))[0]);
        Assert.Equal(["unlabeled/a/b/deep.PNG", "unlabeled/top.jpg"], set.Unlabeled!.Paths);
        Assert.Equal([-1, -1], set.Unlabeled.Labels);
        Assert.Equal(new ImageSourceInfo(20, 10, ImageKind.Rgb), set.Unlabeled.Sources[0]);
        Assert.Equal([0, 1, 2, 3, 4], set.Test!.Labels);
        Assert.Equal(5, set.Validation!.Count);
        Assert.Contains(set.Warnings, w => w.StartsWith("1 file is not PNG, JPEG, BMP, GIF or WebP by name and left out (e.g. ") && w.EndsWith("labeled/a/notes.txt)."));
        Assert.Contains($"{root}/extras/: not read; Semisup reads labeled/, unlabeled/, validation/ and test/.", set.Warnings);
        using var images = labeled.ToTensor();
        Assert.Equal([10L, 3, 16, 16], images.shape);
        Assert.Equal(labeled.Pixels[3 * 256 + 5], images[1, 0, 0, 5].item<byte>());
    }

    [Fact]
    public void The_second_load_reads_the_cache_and_a_changed_file_is_noticed()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        var first = ImageFolder.Load(root, Options(dir));
        Assert.Equal((false, 6), (first.FromCache, first.Decoded));
        Assert.Equal([first.CacheFile!], CacheFiles(dir));

        var second = ImageFolder.Load(root + "/", Options(dir)); // the same folder, however it is written
        Assert.Equal((true, 0), (second.FromCache, second.Decoded));
        Assert.Equal(first.Labeled!.Pixels, second.Labeled!.Pixels);
        Assert.Equal(first.Unlabeled!.Paths, second.Unlabeled!.Paths);
        Assert.Equal(first.Labeled.Sources, second.Labeled.Sources);

        // Nothing is decoded from a cache hit: garbage of the same size and time in a file goes unseen.
        var cat0 = Path.Combine(root, "labeled", "cat", "img0.png");
        var (length, time) = (new FileInfo(cat0).Length, File.GetLastWriteTimeUtc(cat0));
        var original = File.ReadAllBytes(cat0);
        File.WriteAllBytes(cat0, new byte[length]);
        File.SetLastWriteTimeUtc(cat0, time);
        Assert.True(ImageFolder.Load(root, Options(dir)).FromCache);
        File.WriteAllBytes(cat0, original);
        File.SetLastWriteTimeUtc(cat0, time);

        // A file rewritten (same name, same size, a later time) is decoded again, with its new pixels.
        ImageFiles.Solid(cat0, Colour(1, 3));
        File.SetLastWriteTimeUtc(cat0, time.AddSeconds(1));
        var third = ImageFolder.Load(root, Options(dir));
        Assert.Equal((false, 6), (third.FromCache, third.Decoded));
        Assert.Equal(Colour(1, 3).Green, third.Labeled!.Image(0)[256]);
        Assert.Equal([third.CacheFile!], CacheFiles(dir)); // replaced, not added beside

        // An added file is noticed, and so is another shape.
        ImageFiles.Solid(Path.Combine(root, "unlabeled", "new.png"), SKColors.Teal);
        Assert.Equal(3, ImageFolder.Load(root, Options(dir)).Unlabeled!.Count);
        var gray = ImageFolder.Load(root, Options(dir) with { Shape = new(1, 16) });
        Assert.Equal((false, 7, 256), (gray.FromCache, gray.Decoded, gray.Labeled!.Image(0).Length));
        Assert.True(ImageFolder.Load(root, Options(dir)).FromCache);

        // A damaged cache file is decoded past, and rewritten.
        var bytes = File.ReadAllBytes(third.CacheFile!);
        bytes[^40] ^= 0xFF;
        File.WriteAllBytes(third.CacheFile!, bytes);
        var logged = new List<string>();
        var fourth = ImageFolder.Load(root, Options(dir), logged.Add);
        Assert.False(fourth.FromCache);
        Assert.Contains(logged, l => l.Contains("its checksum does not match"));
        Assert.True(ImageFolder.Load(root, Options(dir)).FromCache);
        Assert.Empty(Directory.GetFiles(dir["cache"], "*.tmp-*"));
    }

    [Fact]
    public void A_write_killed_midway_leaves_a_temporary_file_the_next_write_removes_but_a_live_writers_stays()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        var file = ImageFolder.Load(root, Options(dir)).CacheFile!;
        File.Delete(file);
        // What a killed writer leaves (bench/soak.sh found them piling up, one a kill), and what a running one holds.
        var abandoned = $"{file}.tmp-{Guid.NewGuid():N}";
        File.WriteAllBytes(abandoned, new byte[100]);
        var live = $"{file}.tmp-{Guid.NewGuid():N}";
        using (var writing = new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            var again = ImageFolder.Load(root, Options(dir));
            Assert.Equal((false, file), (again.FromCache, again.CacheFile));
            Assert.False(File.Exists(abandoned));
            Assert.True(File.Exists(live));
        }
        Assert.True(ImageFolder.Load(root, Options(dir)).FromCache);
    }

    [Fact]
    public void A_CSV_lists_paths_relative_to_its_folder_with_labels_and_optional_splits()
    {
        using var dir = new TempDir();
        var root = dir["csvset"];
        ImageFiles.Solid(Path.Combine(root, "img", "a,1.png"), Colour(0, 0));
        ImageFiles.Solid(Path.Combine(root, "img", "b1.png"), Colour(1, 0));
        ImageFiles.Solid(Path.Combine(root, "img", "b2.png"), Colour(1, 1));
        ImageFiles.Solid(Path.Combine(root, "img", "u.png"), Colour(2, 2));
        ImageFiles.Solid(Path.Combine(root, "img", "t.png"), Colour(0, 3));
        File.WriteAllText(Path.Combine(root, "list.csv"), "\uFEFFpath,label,split\r\n\"img/a,1.png\",zebra,\nimg/b1.png,apple,\nimg/b2.png,apple,validation\n\nimg/u.png,,\nimg/t.png,zebra,test\n");
        var set = ImageFolder.Load(Path.Combine(root, "list.csv"), Options(dir));
        Assert.Equal(["apple", "zebra"], set.Classes);
        Assert.Equal(["img/b1.png", "img/a,1.png"], set.Labeled!.Paths);
        Assert.Equal([0, 1], set.Labeled.Labels);
        Assert.Equal(["img/u.png"], set.Unlabeled!.Paths);
        Assert.Equal(["img/b2.png"], set.Validation!.Paths);
        Assert.Equal([1], set.Test!.Labels);
        Assert.Equal(ImageDecoder.DecodeFile(Path.Combine(root, "img", "a,1.png"), Shape), set.Labeled.Image(1).ToArray());

        // Evaluation: every row labeled, by a model's classes.
        File.WriteAllText(Path.Combine(root, "eval.csv"), "path,label\nimg/t.png,zebra\nimg/b1.png,apple\n");
        var eval = ImageFolder.LoadLabeled(Path.Combine(root, "eval.csv"), ["zebra", "apple", "pear"], Options(dir));
        Assert.Equal([0, 1], eval.Test!.Labels);
        Assert.Equal(["zebra", "apple", "pear"], eval.Classes);
    }

    [Fact]
    public void A_class_folder_tree_loads_for_evaluation_by_the_models_classes()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"], evaluation: true);
        var test = ImageFolder.LoadLabeled(Path.Combine(root, "test"), ["dog", "cat", "eel"], Options(dir));
        Assert.Equal([0, 1], test.Test!.Labels);
        Assert.Equal(["dog/v.png", "cat/v.png"], test.Test.Paths);
        Assert.Equal($"{Path.Combine(root, "test")}/eel: class 'eel' is not one of the model's classes (dog, cat); rename or remove the folder.",
            Assert.Throws<SemisupException>(() =>
            {
                ImageFiles.Solid(Path.Combine(root, "test", "eel", "e.png"), SKColors.Aqua);
                ImageFolder.LoadLabeled(Path.Combine(root, "test"), ["dog", "cat"], Options(dir));
            }).Message);
    }

    [Fact]
    public void Unreadable_files_stop_the_load_unless_skipped_and_then_the_first_ten_are_named()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        for (int i = 0; i < 12; i++) File.WriteAllText(Path.Combine(root, "unlabeled", $"bad{i:00}.png"), "no pixels here");
        var stop = Assert.Throws<SemisupException>(() => ImageFolder.Load(root, Options(dir) with { Threads = 1 }));
        Assert.Equal($"{root}/unlabeled/bad00.png: not an image (PNG, JPEG, BMP, GIF or WebP expected); replace or remove it. To go on without such files, skip unreadable files.", stop.Message);
        Assert.Empty(CacheFiles(dir));

        var set = ImageFolder.Load(root, Options(dir) with { SkipUnreadable = true });
        Assert.Equal(2, set.Unlabeled!.Count);
        Assert.Equal(12, set.Skipped.Count);
        var warning = Assert.Single(set.Warnings, w => w.StartsWith("skipped"));
        Assert.StartsWith($"skipped 12 unreadable files: {root}/unlabeled/bad00.png, ", warning);
        Assert.Contains($"{root}/unlabeled/bad09.png, …. The first: {root}/unlabeled/bad00.png: not an image", warning);
        Assert.DoesNotContain("bad10", warning);
        // Cached with what it skipped: a load that does not skip still stops, one that does skips the same.
        Assert.Throws<SemisupException>(() => ImageFolder.Load(root, Options(dir)));
        var again = ImageFolder.Load(root, Options(dir) with { SkipUnreadable = true });
        Assert.Equal((true, 12), (again.FromCache, again.Skipped.Count));
        Assert.Equal(set.Unlabeled.Pixels, again.Unlabeled!.Pixels);
    }

    [Fact]
    public void The_same_file_in_labeled_and_unlabeled_is_a_warning_with_the_count()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        File.Copy(Path.Combine(root, "labeled", "cat", "img0.png"), Path.Combine(root, "unlabeled", "copy0.png"));
        File.Copy(Path.Combine(root, "labeled", "dog", "img1.png"), Path.Combine(root, "unlabeled", "copy1.png"));
        ImageFiles.Solid(Path.Combine(root, "test", "cat", "t.png"), Colour(0, 1));
        ImageFiles.Solid(Path.Combine(root, "test", "dog", "t.png"), Colour(1, 3));
        var set = ImageFolder.Load(root, Options(dir));
        Assert.Contains($"2 files in unlabeled are the same as in labeled (e.g. {root}/unlabeled/copy0.png = {root}/labeled/cat/img0.png); they are used as both.", set.Warnings);
        Assert.Contains($"1 file in test is the same as in labeled (e.g. {root}/test/cat/t.png = {root}/labeled/cat/img1.png); test accuracy counts it though training saw it; remove it from one side.", set.Warnings);
        Assert.Equal(set.Warnings, ImageFolder.Load(root, Options(dir)).Warnings); // the cache keeps what finds them
    }

    [DllImport("libc", SetLastError = true)] static extern int open(byte[] path, int flags, int mode);
    [DllImport("libc")] static extern int close(int fd);
    [DllImport("libc")] static extern int unlink(byte[] path);

    public static TheoryData<string> BadCases => new()
    {
        "empty class", "single class", "no labeled", "train instead of labeled", "not an image", "truncated jpeg", "huge png",
        "symlink loop", "folder link loop", "not utf-8", "csv missing path", "csv escapes", "csv absolute", "csv unknown class",
        "csv bad header", "test unknown class", "too large",
    };

    /// <summary>Each bad input: its one-line message, naming the file and what to do, and nothing in the cache.</summary>
    [Theory]
    [MemberData(nameof(BadCases))]
    public void Bad_input_is_refused_in_one_line_naming_the_file_and_nothing_is_cached(string bad)
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        string path = root, expected;
        byte[]? rawName = null; // .NET cannot name a file whose name is not UTF-8, so cannot delete it either
        var options = Options(dir);
        void Csv(string rows) { path = Path.Combine(root, "list.csv"); File.WriteAllText(path, "path,label\n" + rows); }
        switch (bad)
        {
            case "empty class":
                Directory.CreateDirectory(Path.Combine(root, "labeled", "eel"));
                expected = $"{root}/labeled/eel: no images (PNG, JPEG, BMP, GIF or WebP); add some or remove the folder.";
                break;
            case "single class":
                Directory.Delete(Path.Combine(root, "labeled", "dog"), recursive: true);
                expected = $"{root}/labeled: only one class ('cat'); a classifier needs at least two class folders.";
                break;
            case "no labeled":
                Directory.Delete(Path.Combine(root, "labeled"), recursive: true);
                expected = $"{root}: no labeled/ folder; put labeled images in {root}/labeled/<class>/ (and optionally unlabeled/, validation/<class>/, test/<class>/), or give a CSV of path,label.";
                break;
            case "train instead of labeled":
                Directory.Move(Path.Combine(root, "labeled"), Path.Combine(root, "train"));
                expected = $"{root}: no labeled/ folder; put labeled images in {root}/labeled/<class>/ (rename {root}/train/ to labeled/?).";
                break;
            case "not an image":
                File.WriteAllText(Path.Combine(root, "labeled", "cat", "x.png"), "hello");
                expected = $"{root}/labeled/cat/x.png: not an image (PNG, JPEG, BMP, GIF or WebP expected); replace or remove it. To go on without such files, skip unreadable files.";
                break;
            case "truncated jpeg":
                var jpeg = ImageFiles.Encode(64, 64, (x, y) => new SKColor((byte)(4 * x), (byte)(4 * y), 9), SKEncodedImageFormat.Jpeg);
                File.WriteAllBytes(Path.Combine(root, "labeled", "dog", "cut.jpg"), jpeg[..(jpeg.Length / 2)]);
                expected = $"{root}/labeled/dog/cut.jpg: could not be decoded whole (IncompleteInput); it may be truncated or corrupt; replace or remove it. To go on without such files, skip unreadable files.";
                break;
            case "huge png":
                File.WriteAllBytes(Path.Combine(root, "unlabeled", "huge.png"), ImageFiles.PngHeader(100_000, 100_000));
                expected = $"{root}/unlabeled/huge.png: 100,000×100,000 pixels is too large (at most 16,777,216); scale it down or remove it. To go on without such files, skip unreadable files.";
                break;
            case "symlink loop":
                File.CreateSymbolicLink(Path.Combine(root, "unlabeled", "a.png"), Path.Combine(root, "unlabeled", "b.png"));
                File.CreateSymbolicLink(Path.Combine(root, "unlabeled", "b.png"), Path.Combine(root, "unlabeled", "a.png"));
                expected = $"{root}/unlabeled/a.png: a symbolic link loop (it leads back to itself); remove or fix the link. To go on without such files, skip unreadable files.";
                break;
            case "folder link loop":
                Directory.CreateSymbolicLink(Path.Combine(root, "unlabeled", "a", "up"), "../..");
                expected = $"{root}/unlabeled/a/up: a link back to {root}, a folder it is in (a loop); remove the link. To go on without such files, skip unreadable files.";
                break;
            case "not utf-8":
                rawName = [.. System.Text.Encoding.UTF8.GetBytes(Path.Combine(root, "labeled", "cat", "caf")), 0xE9, .. ".png"u8, 0];
                int fd = open(rawName, 0x41, 0x1A4); // O_CREAT | O_WRONLY
                Assert.True(fd >= 0);
                close(fd);
                expected = $"{root}/labeled/cat/caf\uFFFD.png: its name is not valid UTF-8, so it cannot be opened by name; rename it (e.g. with convmv). To go on without such files, skip unreadable files.";
                break;
            case "csv missing path":
                Csv("labeled/cat/img0.png,cat\nlabeled/dog/img0.png,dog\nlabeled/cat/gone.png,cat\n");
                expected = $"{path} line 4: labeled/cat/gone.png does not exist; fix the path (relative to the CSV's folder) or remove the row.";
                break;
            case "csv escapes":
                Csv("labeled/cat/img0.png,cat\n../elsewhere.png,dog\n");
                expected = $"{path} line 3: ../elsewhere.png leaves the CSV's folder; keep every image inside {root} and give its path from there.";
                break;
            case "csv absolute":
                Csv($"{root}/labeled/cat/img0.png,cat\n");
                expected = $"{path} line 2: {root}/labeled/cat/img0.png is absolute; give it relative to the CSV's folder ({root}).";
                break;
            case "csv unknown class":
                path = Path.Combine(root, "list.csv");
                File.WriteAllText(path, "path,label,split\nlabeled/cat/img0.png,cat,\nlabeled/dog/img0.png,dog,\nlabeled/dog/img1.png,eel,test\n");
                expected = $"{path} line 4: class 'eel' is not one of the labeled rows' classes (cat, dog); fix the label or label some training images 'eel'.";
                break;
            case "csv bad header":
                path = Path.Combine(root, "list.csv");
                File.WriteAllText(path, "file;class\nlabeled/cat/img0.png;cat\n");
                expected = $"{path}: the first line must be the header path,label (or path,label,split); found 'file;class'.";
                break;
            case "test unknown class":
                ImageFiles.Solid(Path.Combine(root, "test", "eel", "e.png"), SKColors.Aqua);
                expected = $"{root}/test/eel: class 'eel' is not one of labeled/'s classes (cat, dog); rename or remove the folder.";
                break;
            case "too large":
                options = options with { MemoryLimit = 4_000, MemoryLimitHint = "pass --memory-limit" };
                expected = $"{root}: 6 images at 3×16×16 take 4,608 bytes (4.5 KiB) decoded, more than the memory limit of 3.9 KiB; use a smaller size or fewer images, or pass --memory-limit.";
                break;
            default: throw new ArgumentException(bad);
        }
        try
        {
            var e = Assert.Throws<SemisupException>(() => ImageFolder.Load(path, options));
            Assert.Equal(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Empty(CacheFiles(dir));
            // `check` reports the same problem among its errors.
            Assert.Contains(ImageFolder.Check(path, options).Errors, m => expected.StartsWith(m));
            Assert.Empty(CacheFiles(dir));
        }
        finally
        {
            if (rawName != null) unlink(rawName);
        }
    }

    [StructLayout(LayoutKind.Sequential)] struct CapHeader { public uint Version; public int Pid; }
    [StructLayout(LayoutKind.Sequential)] struct CapData { public uint Effective, Permitted, Inheritable; }
    [DllImport("libc", SetLastError = true)] static extern int capget(ref CapHeader header, [In, Out] CapData[] data);
    [DllImport("libc", SetLastError = true)] static extern int capset(ref CapHeader header, CapData[] data);

    /// <summary>Runs <paramref name="action"/> on a thread of its own without the capabilities that let root read any
    /// file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): Linux keeps capabilities per thread, so the rest of the process keeps
    /// them. False when they cannot be dropped.</summary>
    static bool AsIfNotRoot(Action action)
    {
        Exception? failure = null;
        bool dropped = false;
        var thread = new Thread(() =>
        {
            var header = new CapHeader { Version = 0x20080522 }; // _LINUX_CAPABILITY_VERSION_3, this thread
            var data = new CapData[2];
            if (capget(ref header, data) != 0) return;
            data[0].Effective &= ~((1u << 1) | (1u << 2));
            if (capset(ref header, data) != 0) return;
            dropped = true;
            try { action(); } catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return dropped;
    }

    [SkippableFact]
    public void An_unreadable_file_is_refused_naming_it()
    {
        if (OperatingSystem.IsWindows()) throw new SkipException("file modes are Unix's");
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        var locked = Path.Combine(root, "labeled", "cat", "img1.png");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var expected = $"{root}/labeled/cat/img1.png: cannot be read (permission denied); make it readable (chmod a+r) or remove it. To go on without such files, skip unreadable files.";
        // One thread, so decoding runs on the calling thread (Parallel.For runs its first worker inline).
        var options = Options(dir) with { Threads = 1 };
        void Refused()
        {
            Assert.Equal(expected, Assert.Throws<SemisupException>(() => ImageFolder.Load(root, options)).Message);
            Assert.Equal(["labeled/cat/img1.png"], ImageFolder.Load(root, options with { SkipUnreadable = true }).Skipped.Select(s => s.Path));
        }
        bool readable;
        try { using (File.OpenRead(locked)) readable = true; }
        catch (UnauthorizedAccessException) { readable = false; }
        if (!readable) Refused();
        // Root reads any file whatever its mode, so the case is made on a thread without that power.
        else Skip.IfNot(AsIfNotRoot(Refused), "this process reads files of mode 000 and cannot drop the capability to");
        Assert.Single(CacheFiles(dir)); // only the skipping load's
    }

    [Fact]
    public void A_link_to_a_missing_file_is_refused_like_an_unreadable_one()
    {
        // What root cannot read either: the same path through ReadFile's refusal, and skipping past it.
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        File.CreateSymbolicLink(Path.Combine(root, "labeled", "dog", "gone.png"), Path.Combine(root, "nowhere.png"));
        Assert.Equal($"{root}/labeled/dog/gone.png: a link to {root}/nowhere.png, which does not exist; fix or remove the link. To go on without such files, skip unreadable files.",
            Assert.Throws<SemisupException>(() => ImageFolder.Load(root, Options(dir))).Message);
        Assert.Empty(CacheFiles(dir));
        var set = ImageFolder.Load(root, Options(dir) with { SkipUnreadable = true });
        Assert.Equal(["labeled/dog/gone.png"], set.Skipped.Select(s => s.Path));
        Assert.Equal(4, set.Labeled!.Count);
    }

    [Fact]
    public void Check_lists_every_problem_at_once()
    {
        using var dir = new TempDir();
        var root = MakeLayout(dir, ["cat", "dog"]);
        Directory.CreateDirectory(Path.Combine(root, "labeled", "eel"));
        File.WriteAllText(Path.Combine(root, "labeled", "cat", "x.png"), "hello");
        File.WriteAllText(Path.Combine(root, "unlabeled", "y.jpg"), "hello");
        var check = ImageFolder.Check(root, Options(dir));
        Assert.False(check.Ok);
        Assert.Equal(6, check.Set!.Count); // what did decode
        Assert.Equal(3, check.Errors.Count);
        Assert.Contains(check.Errors, e => e.StartsWith($"{root}/labeled/eel: no images"));
        Assert.Contains(check.Errors, e => e.StartsWith($"{root}/labeled/cat/x.png: not an image"));
        Assert.Contains(check.Errors, e => e.StartsWith($"{root}/unlabeled/y.jpg: not an image"));
        Assert.Empty(CacheFiles(dir));
        Assert.Contains("(2 more problems; `semisup data check` lists them.)", Assert.Throws<SemisupException>(() =>
        {
            Directory.CreateDirectory(Path.Combine(root, "labeled", "fox"));
            Directory.CreateDirectory(Path.Combine(root, "labeled", "gnu"));
            ImageFolder.Load(root, Options(dir));
        }).Message);
    }
}
