import type { Language } from '@shared/settings';
import { foldAccents } from '@shared/text';

const vietnameseLetters = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
// Words staff type without accents; rare or meaningless in English.
const vietnameseWords = new Set(
  'xin chao cam tim kiem them gio hang xem nhung khach thich nho quen xoa bo cua cho toi minh hop chai goi thung sua tuoi gao nuoc banh thit rau doi luong chi tiet gia bao nhieu khong duoc va la nhe oi di voi nau mon gi nao can mua'.split(
    ' ',
  ),
);
const englishWords = new Set(
  'hello hi hey thanks thank you yes good morning the a an find search show add remove delete cart please what does do customer like likes remember forget detail details of to from and is my me change set how much price for with in need ingredients cook make any have buy get put into this that are can want know about'.split(
    ' ',
  ),
);

/**
 * The staff member's language for this message: Vietnamese when it has Vietnamese letters or
 * more accent-less Vietnamese words than English ones, English when English words dominate,
 * otherwise the settings' language.
 */
export function detectLanguage(message: string, fallback: Language): Language {
  if (vietnameseLetters.test(message)) return 'vi';
  let vi = 0;
  let en = 0;
  for (const word of foldAccents(message).split(/[^a-z0-9]+/)) {
    if (vietnameseWords.has(word)) vi++;
    if (englishWords.has(word)) en++;
  }
  if (en > vi) return 'en';
  if (vi > en) return 'vi';
  return fallback;
}
