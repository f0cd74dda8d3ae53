using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Semisup.Data;

namespace Semisup.Cli;

/// <summary>`data check`, `data export` and `data synth`: folders of images, looked at, written from a dataset, made up.</summary>
public static partial class ImageDataCommands
{
    static readonly Option<int> Size = new("--size") { Description = "Side of the square images are decoded to (shorter side resized, centre cropped).", DefaultValueFactory = _ => 32 };
    static readonly Option<int> Channels = new("--channels") { Description = "1 (gray) or 3 (RGB).", DefaultValueFactory = _ => 3 };
    internal static readonly Option<string> MemoryLimit = new("--memory-limit") { Description = "Refuse a set whose decoded bytes pass this (e.g. 512MiB, 4GiB).", DefaultValueFactory = _ => "4GiB" };
    internal static readonly Option<bool> SkipUnreadable = new("--skip-unreadable") { Description = "Leave out files that cannot be read or decoded, naming the first ten, instead of stopping." };

    /// <summary>The load options the flags give; messages name the flags.</summary>
    public static ImageLoadOptions LoadOptions(ParseResult parse) => TrainLoadOptions(parse) with { Shape = new(parse.GetValue(Channels), parse.GetValue(Size)) };

    /// <summary>The load options of train, whose recipe gives the shape.</summary>
    public static ImageLoadOptions TrainLoadOptions(ParseResult parse) => new()
    {
        MemoryLimit = ParseBytes(parse.GetValue(MemoryLimit)!, "--memory-limit"),
        SkipUnreadable = parse.GetValue(SkipUnreadable),
        MemoryLimitHint = "raise --memory-limit",
        SkipHint = "To go on without such files, pass --skip-unreadable.",
    };

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ByteSize();

    /// <summary>Bytes from "4GiB", "512MiB", "2GB", "1000000": KiB, MiB, GiB (and K, M, G) are powers of 1024, KB, MB, GB of 1000.</summary>
    public static long ParseBytes(string text, string option)
    {
        var m = ByteSize().Match(text);
        if (!m.Success) throw new SemisupException($"{option} {text}: give bytes, or a size such as 512MiB or 4GiB.");
        var unit = m.Groups[2].Value.ToLowerInvariant();
        int power = unit.Length == 0 || unit == "b" ? 0 : "kmgt".IndexOf(unit[0]) + 1;
        double multiple = Math.Pow(unit.Length == 2 && unit[1] == 'b' ? 1000 : 1024, power);
        return (long)(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * multiple);
    }

    public static Command Check()
    {
        var path = new Argument<string>("path") { Description = "A folder (labeled/<class>/, unlabeled/, validation/<class>/, test/<class>/) or a CSV of path,label." };
        var noCache = new Option<bool>("--no-cache") { Description = "Decode every file, neither reading nor writing the cache." };
        var command = new Command("check", "Classes, counts per class and part, image sizes and colours, and every problem of a folder of images; exits 1 on errors.")
            { path, Size, Channels, MemoryLimit, SkipUnreadable, noCache };
        command.SetAction((parse, cancel) =>
        {
            var options = LoadOptions(parse) with { CacheDir = parse.GetValue(noCache) ? null : ImageCache.DefaultDir() };
            var check = ImageFolder.Check(parse.GetValue(path)!, options, Console.Error.WriteLine, cancel);
            Report(check, options.Shape);
            return Task.FromResult(check.Errors.Count == 0 ? 0 : 1);
        });
        return command;
    }

    /// <summary>The check as a person reads it: the classes by part, the unlabeled count, the files' sizes and colours, then warnings and errors.</summary>
    static void Report(ImageCheck check, ImageShape shape)
    {
        var listing = check.Listing;
        Console.WriteLine($"{listing.Source}: {(listing.Kind == "csv" ? "a CSV" : "a folder")} of {listing.Entries.Count:N0} images, {listing.Classes.Count} classes, decoded to {shape}");
        var parts = new[] { ImagePart.Labeled, ImagePart.Validation, ImagePart.Test }.Where(listing.Parts.Contains).ToArray();
        int width = Math.Max(5, listing.Classes.Select(c => c.Length).DefaultIfEmpty(0).Max());
        if (listing.Classes.Count > 0 && parts.Length > 0)
        {
            Console.WriteLine($"  {"class".PadRight(width)}{string.Concat(parts.Select(p => $"{p.ToString().ToLowerInvariant(),12}"))}");
            int Count(ImagePart part, int label) => listing.Entries.Count(e => e.Part == part && (label < 0 || e.Label == label));
            for (int c = 0; c < listing.Classes.Count; c++)
                Console.WriteLine($"  {listing.Classes[c].PadRight(width)}{string.Concat(parts.Select(p => $"{Count(p, c),12:N0}"))}");
            Console.WriteLine($"  {"total".PadRight(width)}{string.Concat(parts.Select(p => $"{Count(p, -1),12:N0}"))}");
        }
        if (listing.Parts.Contains(ImagePart.Unlabeled))
            Console.WriteLine($"unlabeled: {listing.Entries.Count(e => e.Part == ImagePart.Unlabeled):N0} images");
        if (check.Set is { } set && set.Count > 0) ReportDecoded(set);
        foreach (var w in check.Warnings) Console.WriteLine($"warning: {w}");
        foreach (var e in check.Errors) Console.WriteLine($"error: {e}");
        Console.WriteLine(check.Errors.Count == 0 ? "ok" : $"{check.Errors.Count:N0} error{(check.Errors.Count == 1 ? "" : "s")}");
    }

    static void ReportDecoded(ImageFolderSet set)
    {
        {
            var sources = set.Parts.Values.SelectMany(p => p.Sources).ToArray();
            var sizes = sources.GroupBy(s => (s.Width, s.Height)).OrderByDescending(g => g.Count()).ToArray();
            var smallest = sources.MinBy(s => (long)s.Width * s.Height);
            var largest = sources.MaxBy(s => (long)s.Width * s.Height);
            Console.WriteLine(sizes.Length == 1 ? $"sizes: all {smallest.Width}×{smallest.Height}"
                : $"sizes: {string.Join(", ", sizes.Take(5).Select(g => $"{g.Key.Width}×{g.Key.Height} ({g.Count():N0})"))}{(sizes.Length > 5 ? $", and {sizes.Length - 5:N0} more" : "")}; from {smallest.Width}×{smallest.Height} to {largest.Width}×{largest.Height} pixels");
            var kinds = sources.GroupBy(s => s.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count():N0} {g.Key switch { ImageKind.Gray => "gray", ImageKind.Rgb => "RGB", _ => "with transparency (put on white)" }}");
            Console.WriteLine($"colours: {string.Join(", ", kinds)}");
            Console.WriteLine($"decoded: {ImageFolder.FormatBytes(set.Bytes)} in memory; " + (set.FromCache ? $"read from the cache {set.CacheFile}"
                : $"{set.Decoded:N0} images decoded" + (set.CacheFile != null ? $", cached in {set.CacheFile}" : "")));
        }
    }

    public static Command Export()
    {
        var labels = new Option<string>("--labels") { Description = "Labeled images (a multiple of 10, class-balanced) or 'all', as for train.", DefaultValueFactory = _ => "100" };
        var seed = new Option<ulong>("--seed") { Description = "The split's seed, as for train.", DefaultValueFactory = _ => 1 };
        var scheme = new Option<string>("--scheme") { Description = "The split's scheme: random, or lab.", DefaultValueFactory = _ => Split.Random };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write (must not exist, or be empty).", Required = true };
        var command = new Command("export", "Write a dataset and its split (as train --labels N --seed S makes it) as folders of PNGs: labeled/<class>/, unlabeled/, validation/<class>/, test/<class>/.")
            { DataCommands.Dataset, DataCommands.DataDir, labels, seed, scheme, output };
        command.SetAction(async (parse, cancel) =>
        {
            var ds = Datasets.Get(parse.GetValue(DataCommands.Dataset)!);
            int count = LabelCount(parse.GetValue(labels)!);
            Split.Check(count, parse.GetValue(scheme)!);
            var files = DatasetFiles.Read(await DataCommands.Locator(parse, cancel)(ds), ds);
            var split = Split.Create(ds.Name, files.TrainLabels.Data, count, parse.GetValue(seed), parse.GetValue(scheme)!);
            var written = ImageExport.Write(files, split, ClassNames.Of(ds), parse.GetValue(output)!, cancel: cancel);
            Console.WriteLine($"wrote {parse.GetValue(output)}: {Counts(written)} of {ds.Name}; classes {string.Join(", ", ImageExport.FolderNames(ClassNames.Of(ds)))}");
            return 0;
        });
        return command;
    }

    public static Command Synth()
    {
        var labels = new Option<int>("--labels") { Description = "Labeled images, class-balanced (a multiple of 10).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split and of every colour and texture.", DefaultValueFactory = _ => 1 };
        var unlabeled = new Option<int>("--unlabeled") { Description = "Unlabeled images.", DefaultValueFactory = _ => 20_000 };
        var validation = new Option<int>("--validation") { Description = "Validation images.", DefaultValueFactory = _ => 2_000 };
        var test = new Option<int>("--test") { Description = "Test images (the first of the test file).", DefaultValueFactory = _ => 10_000 };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write (must not exist, or be empty).", Required = true };
        var command = new Command("synth", "Make a colour image set from a dataset's shapes: 32×32 RGB, each shape in a random colour on a random textured background, as folders of PNGs.")
            { DataCommands.Dataset, DataCommands.DataDir, labels, seed, unlabeled, validation, test, output };
        command.SetAction(async (parse, cancel) =>
        {
            var ds = Datasets.Get(parse.GetValue(DataCommands.Dataset)!);
            var options = new ColourShapesOptions(parse.GetValue(labels), parse.GetValue(unlabeled), parse.GetValue(validation), parse.GetValue(test), parse.GetValue(seed));
            options.Validate();
            var files = DatasetFiles.Read(await DataCommands.Locator(parse, cancel)(ds), ds);
            var written = ColourShapes.Write(files, ds.Name, ClassNames.Of(ds), options, parse.GetValue(output)!, cancel: cancel);
            Console.WriteLine($"wrote {parse.GetValue(output)}: {Counts(written)}, 32×32 RGB, from {ds.Name} at seed {options.Seed}");
            return 0;
        });
        return command;
    }

    static int LabelCount(string text) =>
        text == "all" ? Split.AllLabels : int.TryParse(text, out var n) ? n : throw new SemisupException($"--labels {text}: give a multiple of 10 or 'all'.");

    static string Counts(ExportCounts c) => $"{c.Labeled:N0} labeled, {c.Unlabeled:N0} unlabeled, {c.Validation:N0} validation and {c.Test:N0} test images";
}
