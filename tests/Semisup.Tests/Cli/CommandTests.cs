using System.Diagnostics;
using System.Text;
using Semisup.Cli;
using Semisup.Tests.Data;

namespace Semisup.Tests.Cli;

[Collection("mnist")]
public class CommandTests(MnistFixture mnist)
{
    /// <summary>Runs a command line with standard output and error captured.</summary>
    static Task<(int Code, string Out, string Err)> Captured(params string[] args) => CliCapture.Run(args);

    /// <summary>A white page with nothing on it, in the given format.</summary>
    static void BlankPage(string path, SkiaSharp.SKEncodedImageFormat format)
    {
        using var page = new SkiaSharp.SKBitmap(40, 30);
        page.Erase(SkiaSharp.SKColors.White);
        using var encoded = SkiaSharp.SKImage.FromBitmap(page).Encode(format, 90);
        File.WriteAllBytes(path, encoded.ToArray());
    }

    [Fact]
    public async Task Verify_and_show_work_on_a_data_dir_and_exit_codes_tell_success()
    {
        using var dir = new TempDir();
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "verify", "--data-dir", mnist.Dir]));
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "show", "--data-dir", mnist.Dir, "-n", "20", "-o", dir["d.png"]]));
        Assert.True(new FileInfo(dir["d.png"]).Length > 1000);
        Assert.Equal(1, await SemisupCli.RunAsync(["data", "verify", "--data-dir", dir.Path]));
    }

    [Fact]
    public async Task Show_draws_a_runs_labeled_subset_one_row_per_class()
    {
        using var dir = new TempDir();
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "show", "--data-dir", mnist.Dir, "--split", "labeled", "--labels", "100", "--seed", "2", "-o", dir["l.png"]]));
        var files = Semisup.Data.DatasetFiles.Read(mnist.Dir, Semisup.Data.Datasets.Get("mnist"));
        var y = files.TrainLabels.Data;
        var labeled = Semisup.Data.Split.Create("mnist", y, 100, 2).Labeled;
        using var png = SkiaSharp.SKBitmap.Decode(dir["l.png"]);
        // DigitGrid's cells: 28×28 pixels at scale 3, a pad of 4, a caption of 18 below; 10 columns, 10 rows.
        const int cellW = 28 * 3 + 8, cellH = 28 * 3 + 18 + 4;
        Assert.Equal((10 * cellW, 10 * cellH), (png.Width, png.Height));
        void AssertCell(SkiaSharp.SKBitmap grid, int row, int column, int image)
        {
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                {
                    int drawn = grid.GetPixel(column * cellW + 4 + 3 * c + 1, row * cellH + 4 + 3 * r + 1).Red;
                    Assert.InRange(drawn, 254 - files.TrainImages.Data[image * 784 + r * 28 + c], 255 - files.TrainImages.Data[image * 784 + r * 28 + c]);
                }
        }
        // Row c, column k holds the k-th labeled image of class c (the subset is sorted by index).
        foreach (var (row, column) in new[] { (0, 0), (7, 3), (9, 9) })
            AssertCell(png, row, column, labeled.Where(i => y[i] == row).ElementAt(column));
        // The lab's scheme takes each class in file order: the first zero of the training file is its image 1.
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "show", "--data-dir", mnist.Dir, "--split", "labeled", "--labels", "100", "--scheme", "lab", "-o", dir["lab.png"]]));
        using var lab = SkiaSharp.SKBitmap.Decode(dir["lab.png"]);
        Assert.Equal(0, y[1]);
        AssertCell(lab, 0, 0, 1);
        // Every training image outside validation labeled (-1): rows of 10, not one row per class.
        Assert.Equal(0, await SemisupCli.RunAsync(["data", "show", "--data-dir", mnist.Dir, "--split", "labeled", "--labels", "-1", "-n", "20", "-o", dir["all.png"]]));
        using var all = SkiaSharp.SKBitmap.Decode(dir["all.png"]);
        Assert.Equal((10 * cellW, 2 * cellH), (all.Width, all.Height));
    }

    [Fact]
    public async Task A_terminate_signal_stops_training_cleanly_with_exit_code_130_and_keeps_the_last_checkpoint()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "data": { "labels": 100 }, "run": { "epochs": 1000, "stepsPerEpoch": 2, "labeledBatch": 20, "unlabeledBatch": 20, "threads": 1 } }""");
        var cli = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Semisup.Cli.dll"), "train",
            "--recipe", dir["tiny.json"], "--data-dir", mnist.Dir, "--out", dir["run"]]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var train = Process.Start(cli)!;
        var stderr = train.StandardError.ReadToEndAsync();
        var output = new StringBuilder();
        while (await train.StandardOutput.ReadLineAsync() is { } line)
        {
            output.AppendLine(line);
            if (line.StartsWith("epoch")) break; // the run is training: stop it as `kill` would
        }
        Process.Start("kill", ["-TERM", train.Id.ToString()])!.WaitForExit();
        output.Append(await train.StandardOutput.ReadToEndAsync());
        await train.WaitForExitAsync();
        Assert.True(train.ExitCode == 130, $"exit code {train.ExitCode}\n{output}{await stderr}");
        Assert.Contains($"interrupted. {dir["run/last.ckpt"]} holds epoch", output.ToString());
        Assert.True(File.Exists(dir["run/last.ckpt"]));
        Assert.True(File.ReadLines(dir["run/metrics.jsonl"]).Count() < 1000, "stopped long before the last epoch");
    }

    [Fact]
    public void Compare_names_runs_by_directory_and_adds_the_seed_only_where_names_repeat()
    {
        var labels = Semisup.Reports.ComparisonTable.RunLabels([("runs/s1/ladder-100", 1UL), ("runs/s2/ladder-100/", 2UL), ("runs/gamma-seed1", 1UL)]);
        Assert.Equal(["ladder-100 (seed 1)", "ladder-100 (seed 2)", "gamma-seed1"], labels);
    }

    [Theory]
    [InlineData("--labels, --seed and --scheme choose a labeled subset", "data", "show", "--scheme", "lab")]
    [InlineData("known schemes are random, lab", "data", "show", "--split", "labeled", "--scheme", "first")]
    [InlineData("--labels 15: the labeled set is class-balanced", "data", "show", "--split", "labeled", "--labels", "15")]
    [InlineData("Unrecognized command or argument 'frobnicate'", "data", "frobnicate")]
    [InlineData("run.epochs: -1 must be at least 1", "train", "--epochs", "-1")]
    [InlineData("data.labels: 15 must be a positive multiple of 10", "train", "--labels", "15")]
    [InlineData("--labels some: give a multiple of 10 or 'all'", "train", "--labels", "some")]
    [InlineData("data.split: 'first' is not one of random, lab", "train", "--scheme", "first")]
    [InlineData("method.threshold: method of kind 'gamma' has no such key", "train", "--set", "method.threshold=0.9")]
    [InlineData("run.epochs: give a whole number, not \"abc\"", "train", "--set", "run.epochs=abc")]
    [InlineData("Recipe 'no-such-recipe' not found", "train", "--recipe", "no-such-recipe")]
    [InlineData("/nonexistent/run is not a run directory (no recipe.json)", "train", "--resume", "/nonexistent/run")]
    [InlineData("/nonexistent/best.ckpt: cannot open checkpoint", "evaluate", "--checkpoint", "/nonexistent/best.ckpt")]
    [InlineData("give --checkpoint (one or more) or --onnx", "evaluate")]
    [InlineData("/nonexistent/best.ckpt: cannot open checkpoint", "predict", "--checkpoint", "/nonexistent/best.ckpt", "--input", "x.png")]
    [InlineData("Give finished run directories, or --recipes to train", "compare")]
    [InlineData("Recipe 'no-such-recipe' not found", "compare", "--recipes", "gamma-quick,no-such-recipe")]
    public async Task Bad_input_is_refused_in_one_line_before_any_work(string message, params string[] args)
    {
        // An empty --data-dir would be fetched into, and a run announces itself on stdout: both stay empty.
        using var empty = new TempDir();
        string[] withData = args[0] is "train" or "compare" or "evaluate" || args is ["data", "show", ..] ? [.. args, "--data-dir", empty.Path] : args;
        var (code, output, error) = await Captured(withData);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Equal("", output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--count", "5000")]
    [InlineData("--split", "labeled", "--labels", "15")]
    [InlineData("--split", "labeled", "--scheme", "first")]
    [InlineData("--split", "labeled", "--labels", "3000")] // 3,000 images are more than one grid
    public async Task Data_show_refuses_bad_options_before_it_looks_for_data(params string[] args)
    {
        // An empty --data-dir would be fetched into: it stays empty only if the options are refused first.
        using var empty = new TempDir();
        Assert.Equal(1, await SemisupCli.RunAsync(["data", "show", "--data-dir", empty.Path, "-o", empty["d.png"], .. args]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
    }

    [Fact]
    public async Task A_run_directory_that_cannot_be_created_is_an_error_not_a_crash()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["file"], "");
        // An empty --data-dir would be fetched into: it stays empty only if the run directory is refused first.
        using var empty = new TempDir();
        var (code, _, error) = await Captured("train", "--recipe", "gamma-quick", "--out", dir["file/run"], "--data-dir", empty.Path);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: Cannot create the run directory {dir["file/run"]} (", error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
    }

    [Fact]
    public async Task A_start_refused_after_the_data_is_read_leaves_no_empty_run_directory()
    {
        using var dir = new TempDir();
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--recipe", "gamma-quick", "--labels", "50000", "--out", dir["run"]]));
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public async Task Compare_tabulates_finished_runs_and_draws_their_curves()
    {
        using var data = Semisup.Tests.Training.SmallRuns.Data(mnist);
        using var a = new TempDir();
        using var b = new TempDir();
        var recipe = Semisup.Tests.Training.SmallRuns.Recipe(epochs: 1);
        Semisup.Training.Trainer.Run(recipe, new RunDirectory(a.Path), data);
        Semisup.Training.Trainer.Run(recipe with { Data = recipe.Data with { Seed = 2 } }, new RunDirectory(b.Path), data);
        var seeds = await Captured("compare", a.Path, b.Path, "--data-dir", mnist.Dir, "--plot", a["compare.png"]);
        Assert.Equal(0, seeds.Code);
        Assert.Contains("mean ± std of 2 seeds**", seeds.Out);
        Assert.True(new FileInfo(a["compare.png"]).Length > 1000);
        // Another run of the same seed is a second run of one seed (the same directory twice is one run: SmallerItemsTests).
        using var c = new TempDir();
        Semisup.Training.Trainer.Run(recipe, new RunDirectory(c.Path), data);
        Assert.Contains("mean ± std of 2 runs of 1 seed**", (await Captured("compare", a.Path, c.Path, "--data-dir", mnist.Dir)).Out);
        Assert.Equal(1, await SemisupCli.RunAsync(["compare", "/nonexistent/run"]));
    }

    [Fact]
    public async Task Recipes_lists_every_recipe_and_names_what_is_wrong_with_a_broken_one()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "description": "a tiny run", "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 2 } }""");
        File.WriteAllText(dir["broken.json"], """{ "description": "a typo", "run": { "epoch": 2 } }""");
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(1, await SemisupCli.RunAsync(["recipes", "--dir", dir.Path]));
            File.Delete(dir["broken.json"]);
            Assert.Equal(0, await SemisupCli.RunAsync(["recipes", "--dir", dir.Path]));
            File.Delete(dir["tiny.json"]);
            Assert.Equal(1, await SemisupCli.RunAsync(["recipes", "--dir", dir.Path]));
        }
        finally { Console.SetOut(console); }
        var text = output.ToString();
        Assert.Matches(@"tiny\s+supervised\s+conv\s+183,218\s+5\.0\s+100\s+2\s+a tiny run", text);
        Assert.Matches(@"broken\s+invalid: .*Did you mean 'epochs'\?", text);
        Assert.Contains("2 recipes in", text);
        Assert.Contains(", 1 invalid", text);
        Assert.Contains("1 recipe in", text);
    }

    [Fact]
    public async Task Compare_trains_recipes_side_by_side_then_reuses_finished_runs()
    {
        using var dir = new TempDir();
        foreach (var (name, optimizer) in new[] { ("tiny-sgd", "sgd"), ("tiny-adam", "adam") })
            File.WriteAllText(dir[name + ".json"], $$"""{ "method": { "kind": "supervised" }, "optimizer": { "kind": "{{optimizer}}", "learningRate": 0.01 }, "data": { "labels": 100 }, "run": { "epochs": 2, "stepsPerEpoch": 2, "labeledBatch": 20, "evalBatch": 2500 } }""");
        string[] args = ["compare", "--recipes", $"{dir["tiny-sgd.json"]},{dir["tiny-adam.json"]}", "--out", dir["runs"], "--target", "0.05", "--data-dir", mnist.Dir];
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await SemisupCli.RunAsync(args));
            Assert.Equal(0, await SemisupCli.RunAsync(args));
        }
        finally { Console.SetOut(console); }
        var text = output.ToString();
        Assert.Contains("| tiny-sgd | tiny-sgd | supervised | sgd | 100 |", text);
        Assert.Contains("| tiny-adam | tiny-adam | supervised | adam | 100 |", text);
        Assert.Contains("epochs to 5.00% validation", text);
        Assert.Contains("| 1 (00:00:", text); // the first epoch already reaches a 5% target
        Assert.Contains("finished earlier, reused", text);
        Assert.True(File.Exists(dir["runs/validation.png"]));
        Assert.Equal(2, new Semisup.Runs.RunDirectory(dir["runs/tiny-sgd"]).ReadMetrics().Count);
        // The same --out with another seed must not pass the finished runs off as the new seed's.
        Assert.Equal(1, await SemisupCli.RunAsync([.. args, "--seed", "2"]));
    }

    [Theory]
    [InlineData("train")]
    [InlineData("compare")]
    public async Task Train_and_compare_override_the_recipe_and_record_what_they_ran(string command)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 5, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500 } }""");
        string[] what = command == "train" ? ["train", "--recipe", dir["tiny.json"], "--out", dir["run"]] : ["compare", "--recipes", dir["tiny.json"], "--out", dir["runs"]];
        string run = command == "train" ? dir["run"] : dir["runs/tiny"];
        Assert.Equal(0, await SemisupCli.RunAsync([.. what, "--epochs", "1", "--seed", "4", "--labels", "20", "--scheme", "lab", "--threads", "1", "--data-dir", mnist.Dir]));
        var recorded = Semisup.Recipes.Recipe.Read(Path.Combine(run, Semisup.Runs.RunDirectory.Recipe));
        Assert.Equal((1, 4UL, 20, "lab", 1), (recorded.Run.Epochs, recorded.Data.Seed, recorded.Data.Labels, recorded.Data.Split, recorded.Run.Threads));
        var split = Semisup.Data.Split.Load(Path.Combine(run, Semisup.Runs.RunDirectory.Split), mnist.Files.TrainLabels.Count);
        Assert.Equal("lab", split.Scheme);
        // The lab scheme takes each class's first images in file order: with 2 per class, the file's first two zeros.
        var zeros = Enumerable.Range(0, mnist.Files.TrainLabels.Count).Where(i => mnist.Files.TrainLabels.Data[i] == 0).Take(2);
        Assert.Equal(zeros, split.Labeled.Where(i => mnist.Files.TrainLabels.Data[i] == 0).Order());
        Assert.Single(new Semisup.Runs.RunDirectory(run).ReadMetrics());
    }

    [Fact]
    public async Task Resume_refuses_to_change_what_the_run_recorded()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir[Semisup.Runs.RunDirectory.Recipe], System.Text.Json.JsonSerializer.Serialize(new Semisup.Recipes.Recipe(), Semisup.Recipes.RecipeFile.Json));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--seed", "3"]));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--scheme", "lab"]));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--epochs", "0"]));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir.Path, "--threads", "0"]));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(new Semisup.Recipes.Recipe(), Semisup.Recipes.RecipeFile.Json), File.ReadAllText(dir[Semisup.Runs.RunDirectory.Recipe]));
    }

    [Fact]
    public async Task Resume_extends_a_run_and_moves_it_to_another_thread_count()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 1, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500, "threads": 1 } }""");
        Assert.Equal(0, await SemisupCli.RunAsync(["train", "--recipe", dir["tiny.json"], "--out", dir["run"], "--data-dir", mnist.Dir]));
        // The run could be resumed, so only the refusal of options that --resume would ignore makes these fail.
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir["run"], "--recipe", "gamma-quick", "--data-dir", mnist.Dir]));
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir["run"], "--out", dir["elsewhere"], "--data-dir", mnist.Dir]));
        Assert.Equal(0, await SemisupCli.RunAsync(["train", "--resume", dir["run"], "--epochs", "2", "--threads", "2", "--data-dir", mnist.Dir]));
        var recorded = Semisup.Recipes.Recipe.Read(dir["run/" + Semisup.Runs.RunDirectory.Recipe]);
        Assert.Equal((2, 2), (recorded.Run.Epochs, recorded.Run.Threads));
        Assert.Equal([1, 2], new Semisup.Runs.RunDirectory(dir["run"]).ReadMetrics().Select(m => m.Epoch));
        // Two epochs are trained, so one would shorten the run: refused, and the recorded recipe stays.
        var before = File.ReadAllText(dir["run/" + Semisup.Runs.RunDirectory.Recipe]);
        Assert.Equal(1, await SemisupCli.RunAsync(["train", "--resume", dir["run"], "--epochs", "1", "--data-dir", mnist.Dir]));
        Assert.Equal(before, File.ReadAllText(dir["run/" + Semisup.Runs.RunDirectory.Recipe]));
    }

    [Fact]
    public async Task An_ensemble_is_judged_on_validation_only_when_its_members_share_a_split()
    {
        using var dir = new TempDir();
        using var net = new Semisup.Models.ConvNet(new());
        void Save(string name, Semisup.Recipes.Recipe r) => Semisup.Training.Checkpoint.Save(dir[name], net, r, new(1, 1, 0.5, 1), null);
        Save("random1.ckpt", new() { Data = new(Seed: 1) });
        Save("random2.ckpt", new() { Data = new(Seed: 2) });
        Save("lab1.ckpt", new() { Data = new(Seed: 1, Split: "lab") });
        Save("lab2.ckpt", new() { Data = new(Seed: 2, Split: "lab") });
        Save("fashion.ckpt", new() { Data = new(Dataset: "fashion-mnist") });
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(1, await SemisupCli.RunAsync(["evaluate", "-c", dir["random1.ckpt"], "-c", dir["random2.ckpt"], "--split", "validation", "--data-dir", mnist.Dir]));
            Assert.Equal(1, await SemisupCli.RunAsync(["evaluate", "-c", dir["random1.ckpt"], "-c", dir["fashion.ckpt"], "--data-dir", mnist.Dir]));
            Assert.Equal(0, await SemisupCli.RunAsync(["evaluate", "-c", dir["lab1.ckpt"], "-c", dir["lab2.ckpt"], "--split", "validation", "--data-dir", mnist.Dir]));
        }
        finally { Console.SetOut(console); }
        // The same weights twice: the ensemble's line repeats the members'.
        var accuracies = output.ToString().Split('\n').Where(l => l.Contains("validation accuracy")).Select(l => l[l.IndexOf("validation accuracy")..].Split("  [")[0]).ToList();
        Assert.Equal(3, accuracies.Count);
        Assert.True(accuracies.Distinct().Count() == 1, string.Join("\n", accuracies));
    }

    [Fact]
    public async Task Evaluate_and_predict_read_a_checkpoint_and_refuse_bad_images()
    {
        using var dir = new TempDir();
        using var net = new Semisup.Models.ConvNet(new());
        Semisup.Training.Checkpoint.Save(dir["m.ckpt"], net, new Semisup.Recipes.Recipe(), new(1, 1, 0.5, 1), null);
        var images = Path.Combine(mnist.Dir, "t10k-images-idx3-ubyte");
        async Task<string> Predict(params string[] checkpoints)
        {
            var (code, output, _) = await Captured(["predict", .. checkpoints.SelectMany(c => new[] { "-c", c }), "-i", images, "--limit", "3"]);
            Assert.Equal(0, code);
            return output;
        }
        var single = await Predict(dir["m.ckpt"]);
        Assert.Equal(3, single.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(single, await Predict(dir["m.ckpt"], dir["m.ckpt"])); // an ensemble of one model twice is that model
        Assert.Equal(0, await SemisupCli.RunAsync(["evaluate", "-c", dir["m.ckpt"], "--data-dir", mnist.Dir]));
        Assert.Equal(0, await SemisupCli.RunAsync(["evaluate", "-c", dir["m.ckpt"], "-c", dir["m.ckpt"], "--data-dir", mnist.Dir]));
        File.WriteAllText(dir["bad.png"], "not a png");
        Assert.Equal(1, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", dir["bad.png"]]));
        Assert.Equal(1, await SemisupCli.RunAsync(["evaluate", "-c", dir["bad.png"]]));
        // Shorter than any header: an error, not an end-of-stream crash.
        File.WriteAllBytes(dir["empty.png"], []);
        File.WriteAllBytes(dir["two.idx"], [0, 0]);
        Assert.Equal(1, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", dir["empty.png"]]));
        Assert.Equal(1, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", dir["two.idx"]]));
        Assert.Equal(1, await SemisupCli.RunAsync(["predict", "-c", dir["m.ckpt"], "-i", images, "--limit", "0"]));
        // A blank page still gets a class, with a warning that it means nothing.
        BlankPage(dir["blank.png"], SkiaSharp.SKEncodedImageFormat.Png);
        var blank = await Captured("predict", "-c", dir["m.ckpt"], "-i", dir["blank.png"]);
        Assert.Equal(0, blank.Code);
        Assert.Contains("no ink found", blank.Err);
        // A directory gives every image file in it, not only PNGs.
        Directory.CreateDirectory(dir["folder"]);
        BlankPage(dir["folder/a.png"], SkiaSharp.SKEncodedImageFormat.Png);
        BlankPage(dir["folder/b.jpg"], SkiaSharp.SKEncodedImageFormat.Jpeg);
        var folder = await Captured("predict", "-c", dir["m.ckpt"], "-i", dir["folder"]);
        Assert.Equal(0, folder.Code);
        Assert.Equal(["a.png", "b.jpg"], folder.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Path.GetFileName(l.Split(':')[0])));
        // One unreadable file is reported with its reason; the others are still answered, and the exit code says so.
        File.WriteAllText(dir["folder/broken.png"], "not a png");
        var partly = await Captured("predict", "-c", dir["m.ckpt"], "-i", dir["folder"]);
        Assert.Equal(1, partly.Code);
        Assert.Equal(["a.png", "b.jpg"], partly.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Path.GetFileName(l.Split(':')[0])));
        Assert.Contains($"error: {dir["folder/broken.png"]}: ", partly.Err);
        // Test-time shifts are printed beside the plain answer, never instead of it.
        var shifted = await Captured("predict", "-c", dir["m.ckpt"], "-i", dir["folder/a.png"], "--shifts");
        Assert.Matches(@"a\.png: \d  \(\d+\.\d%\)  \[.*\]  with test-time shifts: \d \(\d+\.\d%\)", shifted.Out);
        var evaluated = await Captured("evaluate", "-c", dir["m.ckpt"], "--shifts", "--threads", "1", "--data-dir", mnist.Dir);
        Assert.Matches(@"test accuracy \d+\.\d\d% \(\d+ of 10000 wrong\), loss \d\.\d{4}, ECE \d+\.\d\d% \(raw\); with test-time shifts \d+\.\d\d% \(\d+ wrong\)", evaluated.Out);
    }

    [Fact]
    public async Task A_run_stopped_before_its_first_checkpoint_starts_again_on_resume()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["tiny.json"], """{ "method": { "kind": "supervised" }, "data": { "labels": 100 }, "run": { "epochs": 2, "stepsPerEpoch": 1, "labeledBatch": 20, "evalBatch": 2500, "threads": 1 } }""");
        // What a kill between the first metrics line and the first checkpoint left: the recipe, the split, a line.
        Assert.Equal(0, await SemisupCli.RunAsync(["train", "--recipe", dir["tiny.json"], "--out", dir["run"], "--data-dir", mnist.Dir]));
        File.Delete(dir["run/last.ckpt"]);
        File.WriteAllText(dir["run/metrics.jsonl"], File.ReadLines(dir["run/metrics.jsonl"]).First() + "\n");
        var resumed = await Captured("train", "--resume", dir["run"], "--data-dir", mnist.Dir);
        Assert.Equal(0, resumed.Code);
        Assert.Contains("holds no saved epoch; starting the run again", resumed.Out);
        Assert.Equal([1, 2], new Semisup.Runs.RunDirectory(dir["run"]).ReadMetrics().Select(m => m.Epoch));
        // And a new run into such a directory starts there too, instead of being sent to --resume.
        File.Delete(dir["run/last.ckpt"]);
        Assert.Equal(0, await SemisupCli.RunAsync(["train", "--recipe", dir["tiny.json"], "--out", dir["run"], "--data-dir", mnist.Dir]));
        Assert.Equal([1, 2], new Semisup.Runs.RunDirectory(dir["run"]).ReadMetrics().Select(m => m.Epoch));
    }

    [Fact]
    public async Task Data_show_into_a_directory_says_so()
    {
        using var dir = new TempDir();
        var (code, _, error) = await Captured("data", "show", "-o", dir.Path, "--data-dir", mnist.Dir);
        Assert.Equal(1, code);
        Assert.Contains($"-o {dir.Path}: is a directory", error);
    }

    [Theory]
    [InlineData("train", "--seed", "abc")]
    [InlineData("train", "--seed", "-5")]
    [InlineData("train", "--epochs", "1.5")]
    [InlineData("predict", "--limit", "abc")]
    [InlineData("frobnicate")]
    public async Task A_command_line_that_does_not_parse_is_one_line_on_stderr(params string[] args)
    {
        var (code, output, error) = await Captured(args);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(args[^1], error);
        Assert.DoesNotContain("System.", error); // .NET's type names mean nothing to the user
    }

    [Fact]
    public async Task Errors_name_the_file_the_user_gave()
    {
        using var dir = new TempDir();
        var directory = await Captured("evaluate", "-c", dir.Path);
        var missing = await Captured("train", "--recipe", dir["nope.json"]);
        Assert.Equal((1, 1), (directory.Code, missing.Code));
        Assert.Contains("is a directory", directory.Err);
        Assert.Contains($"looked for {dir["nope.json"]})", missing.Err);
    }
}
