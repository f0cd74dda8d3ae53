using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Tests.Data;
using Semisup.Tests.Training;
using Semisup.Training;

namespace Semisup.Tests.Reports;

[Collection("mnist")]
public class RunReportTests(MnistFixture mnist)
{
    [Fact]
    public async Task The_report_reads_the_best_checkpoints_test_answers_and_every_file_agrees_with_that_score()
    {
        using var data = SmallRuns.Data(mnist);
        Assert.NotNull(data.Test);
        using var dir = new TempDir();
        Trainer.Run(SmallRuns.Recipe(epochs: 2), new RunDirectory(dir.Path), data);
        new RunDirectory(dir.Path).WriteRecipe(SmallRuns.Recipe(epochs: 2));

        var test = TrainingRuns.Test(dir.Path, data.Test!);
        var numbers = await RunReport.WriteAsync(dir.Path, _ => Task.FromResult(mnist.Dir));

        // Training measured the test set once with the best checkpoint; the report only reads that.
        var (model, header) = Checkpoint.Load(Path.Combine(dir.Path, RunDirectory.Best));
        using (model) Assert.Equal(Evaluator.Evaluate(model, data.Test!, 1000).Accuracy, numbers.TestAccuracy);
        Assert.Equal(test.Accuracy, numbers.TestAccuracy);
        Assert.Equal((header.State.BestEpoch, 2), (numbers.BestEpoch, numbers.Epochs));
        // submission.csv: a header and one line per test image, whose labels score what the report says.
        var lines = File.ReadAllLines(Path.Combine(dir.Path, RunDirectory.Submission));
        Assert.Equal("ID,label", lines[0]);
        var truth = data.Test!.Labels.data<long>().ToArray();
        Assert.Equal(truth.Length + 1, lines.Length);
        var predicted = lines.Skip(1).Select((l, i) => l.Split(',') is [var id, var label] && int.Parse(id, CultureInfo.InvariantCulture) == i
            ? long.Parse(label, CultureInfo.InvariantCulture) : throw new FormatException(l)).ToArray();
        int right = predicted.Zip(truth).Count(p => p.First == p.Second), wrong = truth.Length - right;
        Assert.Equal(numbers.TestAccuracy, right / (double)truth.Length);
        Assert.True(wrong > 0, "a 2-epoch model makes mistakes, so the grid of them is drawn");
        var summary = File.ReadAllText(Path.Combine(dir.Path, RunDirectory.Summary));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"**{100 * numbers.TestAccuracy:F2}%** ({wrong} of {truth.Length} wrong)"), summary);
        foreach (var png in new[] { "loss.png", "accuracy.png", "confusion.png", "misclassified.png" })
        {
            using var image = SkiaSharp.SKBitmap.Decode(Path.Combine(dir.Path, png));
            Assert.True(image is { Width: > 100, Height: > 100 }, $"{png} is a picture");
            Assert.Contains($"({png})", summary);
        }
    }
}
