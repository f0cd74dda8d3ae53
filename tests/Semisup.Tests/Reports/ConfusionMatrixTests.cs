using Semisup.Data;
using Semisup.Reports;
using SkiaSharp;

namespace Semisup.Tests.Reports;

public class ConfusionMatrixTests
{
    [Fact]
    public void Counts_and_lists_the_mistakes_most_frequent_first()
    {
        long[] truth = [7, 7, 7, 2, 4, 4, 0, 7, 4];
        long[] predicted = [2, 2, 7, 2, 9, 9, 0, 4, 4];
        var m = Confusion.Count(truth, predicted, 10);
        Assert.Equal((2, 1, 2, 1, 1), (m[7, 2], m[7, 7], m[4, 9], m[4, 4], m[7, 4]));
        // Two cells of 2 (4 as 9 before 7 as 2: ties go by true class), then the 1; the diagonal is not a mistake.
        Assert.Equal([(4, 9, 2), (7, 2, 2), (7, 4, 1)], Confusion.Mistakes(m).ToArray());
        Assert.Empty(Confusion.Mistakes(Confusion.Count([1, 2], [1, 2], 3)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Names_too_wide_for_their_column_are_written_upwards_above_it(bool longNames)
    {
        using var dir = new TempDir();
        string[] names = longNames ? ["a long class name number one", "a long class name number two"] : ["0", "1"];
        ConfusionMatrix.Save(dir["m.png"], new[,] { { 3, 1 }, { 0, 4 } }, names, "t");
        using var png = SKBitmap.Decode(dir["m.png"]);
        // The two columns are the last 112 pixels but 20 of the width and the grid the last 112 but 50 of the height;
        // count the pixel rows above the grid holding ink over the columns.
        int gridTop = png.Height - 50 - 2 * 56, x0 = png.Width - 20 - 2 * 56;
        int rows = Enumerable.Range(0, gridTop).Count(y => Enumerable.Range(x0, 2 * 56).Any(x => png.GetPixel(x, y).Red < 128));
        if (longNames) Assert.InRange(rows, 100, ConfusionMatrix.MaxLabelWidth + 20); // and "predicted →"
        else
        {
            Assert.Equal((90 + 2 * 56 + 20, 70 + 2 * 56 + 50), (png.Width, png.Height)); // as ever for short names
            Assert.InRange(rows, 5, 40); // the names and "predicted →", on their lines
        }
        // The rows' names are cut to fit beside the grid: the widest takes at most the limit.
        Assert.InRange(x0, 90, ConfusionMatrix.MaxLabelWidth + 16 + 1);
    }
}
