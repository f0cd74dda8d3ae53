using System.Text;

namespace Semisup.Data;

/// <summary>Where an image belongs: the four folders of the layout (or the CSV's split column).</summary>
public enum ImagePart { Labeled, Unlabeled, Validation, Test }

/// <summary>One image file found by a scan.</summary>
/// <param name="Label">Index into the listing's classes; −1 when unlabeled.</param>
/// <param name="Path">Relative to the listing's root, '/'-separated: how messages, caches and reports name it.</param>
/// <param name="FullPath">The absolute path to open.</param>
/// <param name="Length">Its size in bytes and <paramref name="Modified"/> its last write (UTC ticks): with the path, what
/// the decoded set's cache is keyed by.</param>
/// <param name="Problem">Why it cannot be read, when the scan already knows (a link loop, a name that is not UTF-8).</param>
public sealed record ImageEntry(ImagePart Part, int Label, string Path, string FullPath, long Length, long Modified, string? Problem = null);

/// <summary>The images a folder or CSV holds, found without decoding any: the classes, every file with its part and
/// label, and what is wrong. <see cref="Errors"/> are about the whole (an empty class folder, a CSV row naming a missing
/// file): nothing may be loaded while there is one. A problem with one file is its entry's <see cref="ImageEntry.Problem"/>.
/// Classes are the labeled folder names (or CSV labels) in ordinal order, as torchvision's ImageFolder sorts them.</summary>
public sealed class ImageListing
{
    public const string LabeledFolder = "labeled", UnlabeledFolder = "unlabeled", ValidationFolder = "validation", TestFolder = "test";
    static readonly string[] Folders = [LabeledFolder, UnlabeledFolder, ValidationFolder, TestFolder];
    /// <summary>Deeper than this, a folder tree is taken for a link loop the scan could not see.</summary>
    public const int MaxDepth = 32;
    const string Optional = "(and optionally unlabeled/, validation/<class>/, test/<class>/)", LayoutText = "labeled/<class>/ " + Optional;

    /// <summary>What was scanned, as given: the folder or the CSV.</summary>
    public required string Source { get; init; }
    /// <summary>The absolute folder entries' paths are relative to: the folder, or the CSV's folder.</summary>
    public required string Root { get; init; }
    /// <summary>How the scan read <see cref="Source"/>: "folders", "csv", "classes" or "files"; part of the cache's name.</summary>
    public required string Kind { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>In order: by part, then class, then path.</summary>
    public required IReadOnlyList<ImageEntry> Entries { get; init; }
    /// <summary>The parts present: a folder that exists, or a split the CSV uses.</summary>
    public required IReadOnlySet<ImagePart> Parts { get; init; }
    public required IReadOnlyList<string> Errors { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary><see cref="Source"/>'s folder as given, so messages name files the way the user named the folder.</summary>
    public required string DisplayRoot { get; init; }

    /// <summary>An entry's path as the user would type it: the folder as given, then the path inside it.</summary>
    public string Display(ImageEntry e) => Display(e.Path);
    public string Display(string relative) => DisplayRoot.Length == 0 ? relative : System.IO.Path.Join(DisplayRoot, relative);

    /// <summary>A data set: a folder in the layout <c>labeled/&lt;class&gt;/*</c>, <c>unlabeled/**</c>,
    /// <c>validation/&lt;class&gt;/*</c>, <c>test/&lt;class&gt;/*</c>, or a CSV of <c>path,label[,split]</c>.</summary>
    /// <param name="classes">The classes to label by (a trained model's); null: the labeled folders' (or labels').</param>
    public static ImageListing Scan(string path, IReadOnlyList<string>? classes = null)
    {
        if (IsCsv(path)) return new Scanner(path, csv: true).Csv(classes, allLabeled: false);
        return new Scanner(path, csv: false).Layout(classes);
    }

    /// <summary>Labeled images only, as for evaluation: a folder of <c>&lt;class&gt;/*</c> (a layout's test/) or a CSV
    /// whose every row has a label. Entries are in <see cref="ImagePart.Test"/>.</summary>
    public static ImageListing ScanLabeled(string path, IReadOnlyList<string>? classes = null)
    {
        if (IsCsv(path)) return new Scanner(path, csv: true).Csv(classes, allLabeled: true);
        return new Scanner(path, csv: false).ClassFolders(classes);
    }

    /// <summary>Images without labels, as for prediction: one file (any name), or every image under a folder.
    /// Entries are in <see cref="ImagePart.Unlabeled"/>.</summary>
    public static ImageListing ScanUnlabeled(string path) =>
        File.Exists(path) ? new Scanner(path, csv: false, single: true).OneFile()
        : Directory.Exists(path) ? new Scanner(path, csv: false).Files()
        : throw new SemisupException($"{path}: no such file or folder; give an image or a folder of images.");

    static bool IsCsv(string path) => File.Exists(path) && System.IO.Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>One scan's state: what it found and what is wrong.</summary>
    sealed class Scanner
    {
        readonly string source, root, displayRoot;
        readonly List<string> errors = [], warnings = [];
        readonly List<ImageEntry> entries = [];
        readonly HashSet<ImagePart> parts = [];
        readonly List<string> ignored = [];

        public Scanner(string path, bool csv, bool single = false)
        {
            source = path;
            var full = System.IO.Path.GetFullPath(path);
            if (csv || single)
            {
                root = System.IO.Path.GetDirectoryName(full)!;
                displayRoot = System.IO.Path.GetDirectoryName(path) ?? "";
            }
            else
            {
                if (!Directory.Exists(path))
                    throw new SemisupException(System.IO.File.Exists(path)
                        ? $"{path}: give a folder of images ({LayoutText}) or a CSV of path,label."
                        : $"{path}: no such folder or CSV; give a folder of images ({LayoutText}) or a CSV of path,label.");
                root = full.TrimEnd(System.IO.Path.DirectorySeparatorChar);
                if (root.Length == 0) root = "/";
                displayRoot = path;
            }
        }

        string Show(string relative) => displayRoot.Length == 0 ? relative : System.IO.Path.Join(displayRoot, relative);

        ImageListing Done(string kind, IReadOnlyList<string> classes)
        {
            if (ignored.Count > 0)
                warnings.Add($"{ignored.Count:N0} file{(ignored.Count == 1 ? " is" : "s are")} not {ImageDecoder.Formats} by name{(ignored.Count == 1 ? "" : "s")} and left out (e.g. {Show(ignored[0])}).");
            return new()
            {
                Source = source, Root = root, Kind = kind, Classes = classes, DisplayRoot = displayRoot,
                Entries = [.. entries.OrderBy(e => e.Part).ThenBy(e => e.Label)], // a stable sort: each part keeps its scan order
                Parts = parts, Errors = errors, Warnings = warnings,
            };
        }

        public ImageListing Layout(IReadOnlyList<string>? known)
        {
            var labeledDir = System.IO.Path.Combine(root, LabeledFolder);
            List<string> classes = known?.ToList() ?? [];
            if (!Directory.Exists(labeledDir))
            {
                var like = new[] { "train", "training", "labelled" }.FirstOrDefault(d => Directory.Exists(System.IO.Path.Combine(root, d)));
                errors.Add($"{source}: no labeled/ folder; put labeled images in {Show(LabeledFolder)}/<class>/" +
                    (like != null ? $" (rename {Show(like)}/ to labeled/?)." : $" {Optional}, or give a CSV of path,label."));
            }
            else
            {
                parts.Add(ImagePart.Labeled);
                var folders = ClassFoldersIn(LabeledFolder);
                if (known == null)
                {
                    classes = [.. folders.Select(f => f.Name)];
                    if (folders.Count == 0) errors.Add($"{Show(LabeledFolder)}: no class folders; put each class's images in {Show(LabeledFolder)}/<class>/.");
                    else if (folders.Count == 1) errors.Add($"{Show(LabeledFolder)}: only one class ('{folders[0].Name}'); a classifier needs at least two class folders.");
                }
                ReadClasses(LabeledFolder, ImagePart.Labeled, folders, classes);
            }
            var unlabeled = System.IO.Path.Combine(root, UnlabeledFolder);
            if (Directory.Exists(unlabeled))
            {
                parts.Add(ImagePart.Unlabeled);
                int before = entries.Count;
                Walk(unlabeled, UnlabeledFolder, 1, found => entries.Add(found with { Part = ImagePart.Unlabeled, Label = -1 }));
                if (entries.Count == before) warnings.Add($"{Show(UnlabeledFolder)}: holds no images; training uses the labeled images alone.");
            }
            foreach (var (folder, part) in new[] { (ValidationFolder, ImagePart.Validation), (TestFolder, ImagePart.Test) })
                if (Directory.Exists(System.IO.Path.Combine(root, folder)))
                {
                    parts.Add(part);
                    var folders = ClassFoldersIn(folder);
                    if (folders.Count == 0) errors.Add($"{Show(folder)}: no class folders; put each class's images in {Show(folder)}/<class>/, or remove it.");
                    ReadClasses(folder, part, folders, classes);
                }
            if (parts.Contains(ImagePart.Labeled))
                foreach (var other in EnumerateSorted(root).OfType<DirectoryInfo>())
                    if (!Folders.Contains(other.Name) && !other.Name.StartsWith('.'))
                        warnings.Add($"{Show(other.Name)}/: not read; Semisup reads labeled/, unlabeled/, validation/ and test/.");
            return Done("folders", classes);
        }

        public ImageListing ClassFolders(IReadOnlyList<string>? known)
        {
            var folders = ClassFoldersIn("");
            List<string> classes = known?.ToList() ?? [.. folders.Select(f => f.Name)];
            if (folders.Count == 0) errors.Add($"{source}: no class folders; give a folder of <class>/ folders of images, or a CSV of path,label.");
            parts.Add(ImagePart.Test);
            ReadClasses("", ImagePart.Test, folders, classes);
            return Done("classes", classes);
        }

        public ImageListing Files()
        {
            parts.Add(ImagePart.Unlabeled);
            Walk(root, "", 0, found => entries.Add(found with { Part = ImagePart.Unlabeled, Label = -1 }));
            if (entries.Count == 0) errors.Add($"{source}: holds no {ImageDecoder.Formats} files.");
            return Done("files", []);
        }

        public ImageListing OneFile()
        {
            var info = new FileInfo(source);
            parts.Add(ImagePart.Unlabeled);
            entries.Add(new(ImagePart.Unlabeled, -1, info.Name, info.FullName, info.Length, info.LastWriteTimeUtc.Ticks));
            return Done("files", []);
        }

        /// <summary>The class folders in <paramref name="folder"/> (relative to the root), in ordinal order; files lying
        /// directly in it are warned about, a folder name that is not UTF-8 is an error.</summary>
        List<DirectoryInfo> ClassFoldersIn(string folder)
        {
            var dir = folder.Length == 0 ? root : System.IO.Path.Combine(root, folder);
            var found = new List<DirectoryInfo>();
            var loose = new List<string>();
            List<FileSystemInfo> children;
            try { children = EnumerateSorted(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{Show(folder.Length == 0 ? "." : folder)}: cannot list this folder ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)}); make it readable (chmod a+rx).");
                return found;
            }
            foreach (var child in children)
            {
                var rel = folder.Length == 0 ? child.Name : $"{folder}/{child.Name}";
                if (child.Name.StartsWith('.')) continue;
                if (child.Name.Contains('\uFFFD')) { errors.Add($"{Show(rel)}: the name is not valid UTF-8; rename it (e.g. with convmv)."); continue; }
                var (kind, _, problem) = Resolve(child);
                if (kind == EntryKind.Directory) found.Add(new DirectoryInfo(child.FullName));
                else if (problem != null) errors.Add($"{Show(rel)}: {problem}.");
                else if (ImageDecoder.HasImageExtension(child.Name)) loose.Add(rel);
            }
            if (loose.Count > 0)
                warnings.Add($"{loose.Count:N0} image{(loose.Count == 1 ? " lies" : "s lie")} directly in {Show(folder.Length == 0 ? "." : folder)}/, not in a class folder, and {(loose.Count == 1 ? "is" : "are")} left out (e.g. {Show(loose[0])}).");
            return found;
        }

        void ReadClasses(string folder, ImagePart part, List<DirectoryInfo> folders, List<string> classes)
        {
            foreach (var dir in folders)
            {
                var rel = folder.Length == 0 ? dir.Name : $"{folder}/{dir.Name}";
                int label = classes.IndexOf(dir.Name);
                if (label < 0)
                {
                    errors.Add($"{Show(rel)}: class '{dir.Name}' is not one of {(folder == LabeledFolder || folder.Length == 0 ? "the model's" : "labeled/'s")} classes ({string.Join(", ", classes)}); rename or remove the folder.");
                    continue;
                }
                int before = entries.Count;
                Walk(dir.FullName, rel, 1, found => entries.Add(found with { Part = part, Label = label }));
                if (entries.Count == before) errors.Add($"{Show(rel)}: no images ({ImageDecoder.Formats}); add some or remove the folder.");
            }
        }

        /// <summary>Every image file under <paramref name="dir"/>, following links, in ordinal order of names at each level.
        /// A link back to a folder it is in, a link loop, an unreadable folder or a name that is not UTF-8 becomes an entry
        /// with its problem, so it is reported (or skipped) like a file that does not decode.</summary>
        void Walk(string dir, string rel, int depth, Action<ImageEntry> add, List<string>? ancestors = null)
        {
            ancestors ??= [RealPath(dir)];
            ImageEntry Problem(string path, string full, string problem) => new(ImagePart.Unlabeled, -1, path, full, 0, 0, problem);
            List<FileSystemInfo> children;
            try { children = EnumerateSorted(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                add(Problem(rel, dir, e is UnauthorizedAccessException
                    ? "cannot list this folder (permission denied); make it readable (chmod a+rx) or remove it"
                    : $"cannot list this folder ({e.Message}); fix or remove it"));
                return;
            }
            foreach (var child in children)
            {
                if (child.Name.StartsWith('.')) continue;
                var path = rel.Length == 0 ? child.Name : $"{rel}/{child.Name}";
                if (child.Name.Contains('\uFFFD'))
                {
                    add(Problem(path, child.FullName, "its name is not valid UTF-8, so it cannot be opened by name; rename it (e.g. with convmv)"));
                    continue;
                }
                var (kind, target, problem) = Resolve(child);
                if (kind == EntryKind.Directory)
                {
                    var real = RealPath(target!.FullName);
                    if (ancestors.Any(a => a == real || a.StartsWith(real + System.IO.Path.DirectorySeparatorChar)))
                        add(Problem(path, child.FullName, $"a link back to {real}, a folder it is in (a loop); remove the link"));
                    else if (depth >= MaxDepth)
                        add(Problem(path, child.FullName, $"folders nested more than {MaxDepth} deep (a link loop?); flatten them"));
                    else
                        Walk(child.FullName, path, depth + 1, add, [.. ancestors, real]);
                }
                else if (problem != null) add(Problem(path, child.FullName, problem));
                else if (!ImageDecoder.HasImageExtension(child.Name)) ignored.Add(path);
                else add(new(ImagePart.Unlabeled, -1, path, child.FullName, ((FileInfo)target!).Length, target.LastWriteTimeUtc.Ticks));
            }
        }

        public ImageListing Csv(IReadOnlyList<string>? known, bool allLabeled)
        {
            var name = source;
            string text;
            var length = new FileInfo(source).Length;
            if (length > 1L << 30) throw new SemisupException($"{name}: {length:N0} bytes is too long for a list of images; split it.");
            try { text = System.IO.File.ReadAllText(source); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SemisupException($"{name}: cannot be read ({e.Message}); fix it.", e); }
            var (rows, parseError) = CsvRows(text);
            if (parseError != null) errors.Add($"{name}: {parseError}");
            if (rows.Count == 0 || rows[0].Fields is not [var p, var l, .. var rest] || !p.Trim().Equals("path", StringComparison.OrdinalIgnoreCase)
                || !l.Trim().Equals("label", StringComparison.OrdinalIgnoreCase) || rest is not ([] or [_]) || rest is [var s] && !s.Trim().Equals("split", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{name}: the first line must be the header path,label (or path,label,split); found '{(rows.Count == 0 ? "" : string.Join(",", rows[0].Fields))}'.");
                return Done("csv", known ?? []);
            }
            int columns = rows[0].Fields.Length;
            var found = new List<(int Line, ImagePart Part, string Label, ImageEntry Entry)>();
            foreach (var (line, fields) in rows.Skip(1))
            {
                string at = $"{name} line {line}";
                if (fields.Length != columns) { errors.Add($"{at}: {fields.Length} fields, the header has {columns}; put a path holding a comma in double quotes."); continue; }
                string path = fields[0].Trim(), label = fields[1].Trim(), split = columns > 2 ? fields[2].Trim().ToLowerInvariant() : "";
                if (path.Length == 0) { errors.Add($"{at}: no path; give the image's path relative to the CSV's folder, or remove the row."); continue; }
                if (System.IO.Path.IsPathRooted(path)) { errors.Add($"{at}: {path} is absolute; give it relative to the CSV's folder ({root})."); continue; }
                var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, path));
                if (!full.StartsWith(root.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    errors.Add($"{at}: {path} leaves the CSV's folder; keep every image inside {root} and give its path from there.");
                    continue;
                }
                ImagePart? part = allLabeled ? ImagePart.Test : split switch
                {
                    "" => label.Length == 0 ? ImagePart.Unlabeled : ImagePart.Labeled,
                    "labeled" or "train" => ImagePart.Labeled,
                    "unlabeled" => ImagePart.Unlabeled,
                    "validation" => ImagePart.Validation,
                    "test" => ImagePart.Test,
                    _ => null,
                };
                if (part is not { } kept) { errors.Add($"{at}: split '{split}' is not labeled, unlabeled, validation or test."); continue; }
                if (kept != ImagePart.Unlabeled && label.Length == 0)
                {
                    errors.Add($"{at}: {path} has no label; {(allLabeled ? "every image to evaluate needs one" : $"a {split} image needs one")}.");
                    continue;
                }
                var relative = System.IO.Path.GetRelativePath(root, full).Replace(System.IO.Path.DirectorySeparatorChar, '/');
                var info = new FileInfo(full);
                var (kind, target, problem) = Resolve(info);
                if (kind == EntryKind.Directory) { errors.Add($"{at}: {path} is a folder; list image files, one per row."); continue; }
                if (problem == null && kind == EntryKind.Missing)
                {
                    errors.Add($"{at}: {path} does not exist; fix the path (relative to the CSV's folder) or remove the row.");
                    continue;
                }
                var entry = problem != null
                    ? new ImageEntry(kept, -1, relative, full, 0, 0, problem)
                    : new ImageEntry(kept, -1, relative, full, ((FileInfo)target!).Length, target.LastWriteTimeUtc.Ticks);
                found.Add((line, kept, kept == ImagePart.Unlabeled ? "" : label, entry));
            }
            List<string> classes = known?.ToList() ?? [.. found.Where(f => f.Part == (allLabeled ? ImagePart.Test : ImagePart.Labeled)).Select(f => f.Label).Distinct().Order(StringComparer.Ordinal)];
            if (known == null && errors.Count == 0)
            {
                if (classes.Count == 0) errors.Add($"{name}: no labeled rows; give a label to some images (path,label).");
                else if (classes.Count == 1) errors.Add($"{name}: only one class ('{classes[0]}'); a classifier needs at least two.");
            }
            foreach (var (line, part, label, entry) in found)
            {
                int index = part == ImagePart.Unlabeled ? -1 : classes.IndexOf(label);
                if (part != ImagePart.Unlabeled && index < 0)
                {
                    errors.Add($"{name} line {line}: class '{label}' is not one of the {(known != null ? "model's" : "labeled rows'")} classes ({string.Join(", ", classes)}); fix the label{(known != null ? "" : $" or label some training images '{label}'")}.");
                    continue;
                }
                parts.Add(part);
                entries.Add(entry with { Part = part, Label = index });
            }
            if (!allLabeled) parts.Add(ImagePart.Labeled);
            return Done("csv", classes);
        }
    }

    enum EntryKind { File, Directory, Missing }

    /// <summary>What an entry is once its links are followed; a loop or a link to nothing is a problem, in words.</summary>
    static (EntryKind Kind, FileSystemInfo? Target, string? Problem) Resolve(FileSystemInfo entry)
    {
        if (entry.LinkTarget is null)
            return entry is DirectoryInfo || Directory.Exists(entry.FullName) ? (EntryKind.Directory, new DirectoryInfo(entry.FullName), null)
                : entry.Exists ? (EntryKind.File, new FileInfo(entry.FullName), null) : (EntryKind.Missing, null, null);
        FileSystemInfo? final;
        try { final = entry.ResolveLinkTarget(returnFinalTarget: true); }
        catch (IOException) { return (EntryKind.Missing, null, "a symbolic link loop (it leads back to itself); remove or fix the link"); }
        if (final is null) return (EntryKind.File, new FileInfo(entry.FullName), null);
        if (Directory.Exists(final.FullName)) return (EntryKind.Directory, new DirectoryInfo(final.FullName), null);
        if (System.IO.File.Exists(final.FullName)) return (EntryKind.File, new FileInfo(final.FullName), null);
        return (EntryKind.Missing, null, $"a link to {final.FullName}, which does not exist; fix or remove the link");
    }

    static List<FileSystemInfo> EnumerateSorted(string dir) =>
        [.. new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal)];

    /// <summary>The path with every link in it followed (realpath(3)), so a link back into a folder being walked is seen
    /// whatever path leads to it.</summary>
    static string RealPath(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var sep = System.IO.Path.DirectorySeparatorChar;
        for (int hops = 0; hops < 64; hops++)
        {
            var parts = full.Split(sep, StringSplitOptions.RemoveEmptyEntries);
            var built = System.IO.Path.GetPathRoot(full) ?? "/";
            bool followed = false;
            for (int i = 0; i < parts.Length && !followed; i++)
            {
                var next = System.IO.Path.Join(built, parts[i]);
                if (new FileInfo(next).LinkTarget is { } target)
                {
                    full = System.IO.Path.GetFullPath(System.IO.Path.Join([System.IO.Path.GetFullPath(target, built), .. parts[(i + 1)..]]));
                    followed = true;
                }
                built = next;
            }
            if (!followed) return full;
        }
        return full; // a loop: the caller's depth limit stops the walk
    }

    /// <summary>RFC 4180 records (quoted fields may hold commas, quotes doubled, and line breaks), each with the line it
    /// starts on; blank lines are skipped and a leading byte-order mark dropped.</summary>
    static (List<(int Line, string[] Fields)> Rows, string? Error) CsvRows(string text)
    {
        var rows = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, start = 1, i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        bool quoted = false, any = false;
        void EndRecord()
        {
            fields.Add(field.ToString());
            field.Clear();
            if (any || fields.Count > 1 || fields[0].Length > 0) rows.Add((start, [.. fields]));
            fields.Clear();
            any = false;
        }
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else { if (c == '\n') line++; field.Append(c); }
            }
            else if (c == '"') { quoted = true; any = true; }
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { EndRecord(); line++; start = line; }
            else field.Append(c);
        }
        if (quoted) return (rows, $"line {start}: a quoted field is not closed; close it with a double quote.");
        EndRecord();
        return (rows, null);
    }
}
